"""Tests of editorial/operations: the verbs that change state, against a real database."""
