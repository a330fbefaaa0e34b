"""Whole-product and cross-cutting suites: browsers, sweeps over every route, hostile input."""
