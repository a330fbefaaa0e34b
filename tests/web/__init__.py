"""Tests of editorial/web: the desk through the test client."""
