"""Celery tasks only, thin over operations: ids in, the database re-read."""
