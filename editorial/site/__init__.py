"""The public site: its pages, feeds, the incremental build and the whole rebuild."""
