"""Tests of editorial/api: the JSON API and its OpenAPI document."""
