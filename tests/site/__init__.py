"""Tests of editorial/site: the public site's pages, feeds and builds."""
