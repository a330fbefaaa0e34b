"""Tests of editorial/models: the schema, its migrations and the invariants it backs."""
