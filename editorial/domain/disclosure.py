"""Material connections: which links in a post are sponsored or affiliate links, which the post
must disclose (pure; the query parameters that mark an affiliate link are configured once, at
start-up, from AFFILIATE_PARAMS).

A link is paid when its entry marks it (``link``: "sponsored" or "affiliate") or when its query
carries an affiliate parameter (``?tag=…``, ``?aff=…``, ``?ref=…`` by default), in an entry's
address or anywhere in the post's Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_AFFILIATE_PARAMS = frozenset({"tag", "aff", "aff_id", "affid", "affiliate", "ref"})
_params = DEFAULT_AFFILIATE_PARAMS

_URL = re.compile(r"https?://[^\s<>()\"'\]]+", re.IGNORECASE)


def configure(names: Iterable[str]) -> None:
    """Set the query parameters that mark an affiliate link (create_app, from the settings).
    Findings already stored keep the old ones until `editorial posts recheck`."""
    global _params  # noqa: PLW0603 - one setting for the process, read by pure functions
    _params = frozenset(name.strip().lower() for name in names if name.strip())


def is_affiliate(url: str | None) -> bool:
    """Whether ``url``'s query carries an affiliate parameter."""
    if not url or "?" not in url:
        return False
    try:
        query = urlsplit(url).query
    except ValueError:
        return False
    return any(key.lower() in _params for key, _ in parse_qsl(query, keep_blank_values=True))


def is_paid(entry: dict[str, Any]) -> bool:
    """Whether an entry's own address is a sponsored or affiliate link."""
    return bool(entry.get("url")) and (bool(entry.get("link")) or is_affiliate(entry.get("url")))


_MARKDOWN_FIELDS = ("bias", "intro", "disclosure", "correction")
_ENTRY_MARKDOWN = ("verdict", "pick_else", "override")


def paid_links(content: dict[str, Any]) -> list[tuple[str, str]]:
    """Every paid link in interchange content, as (field path, address), in document order."""
    return list(_paid(content))


def _paid(content: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key in _MARKDOWN_FIELDS:
        if key != "disclosure":  # the disclosure may name the programme it discloses
            yield from _in_text(key, content.get(key))
    for i, criterion in enumerate(content.get("criteria") or []):
        yield from _in_text(f"criteria[{i}].description", criterion.get("description"))
    for i, entry in enumerate(content.get("entries") or []):
        if is_paid(entry):
            yield f"entries[{i}].url", entry["url"]
        for key in _ENTRY_MARKDOWN:
            yield from _in_text(f"entries[{i}].{key}", entry.get(key))
        for j, note in enumerate(entry.get("criteria") or []):
            yield from _in_text(f"entries[{i}].criteria[{j}].note", note.get("note"))
    for i, item in enumerate(content.get("faq") or []):
        yield from _in_text(f"faq[{i}].answer", item.get("answer"))


def _in_text(path: str, text: str | None) -> Iterator[tuple[str, str]]:
    for match in _URL.finditer(text or ""):
        if is_affiliate(match.group(0)):
            yield path, match.group(0)
