"""Tests of editorial/domain: pure rules and formats, with no app at all."""
