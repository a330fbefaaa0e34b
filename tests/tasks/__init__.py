"""Tests of editorial/tasks: Celery tasks, with real worker processes where it matters."""
