"""Pure rules and formats: no Flask, no database session, no clock (``now`` is passed in)."""
