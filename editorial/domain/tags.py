"""Tags: the address a tag has on the public site."""

from __future__ import annotations

from functools import lru_cache

from slugify import slugify


@lru_cache(maxsize=4096)
def tag_slug(name: str) -> str:
    """A tag's address on the site: "Web frameworks" -> "web-frameworks"."""
    return slugify(name, max_length=100) or "tag"
