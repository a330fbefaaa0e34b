"""Tests of editorial/cli.py: the `editorial` command line."""
