"""The test suite: its folders mirror editorial/'s layers; tests/conftest.py applies to all."""
