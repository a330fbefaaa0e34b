"""The desk: its blueprints (one per area) and the pieces they share."""
