"""Verbs that change state: they check, change, record and flush (never commit)."""
