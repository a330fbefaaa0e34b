"""Helpers shared by several test modules. They import no test module, and no test module
imports another: what two test files share lives here or in a conftest.py fixture."""
