"""The reviewer's checklist: what a reviewer signs off, item by item (pure; no app, no clock).

Each item has a stable ``key`` (entries are keyed by name, so a moved entry keeps its ticks)
and a ``fingerprint`` of exactly the content it vouches for. A tick is stored with the
fingerprint it was given on; when the content changes, the fingerprint no longer matches and
the tick lapses, which is how a post that comes back keeps the ticks of unchanged entries.

Between them the items cover everything a reader sees. The post items vouch for the post's
frame as well (title, slug, summary, introduction, takeaways, FAQ, tags, correction, the order
of the entries, and any field added later), so a retitled, reordered or re-tagged post needs
its post items ticked again; an entry's items vouch for the entry without its rank.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from editorial.domain.disclosure import paid_links

__all__ = ["Item", "entry_key", "items"]


@dataclass(frozen=True)
class Item:
    key: str  # "post:bias", "post:criteria", "entry:<name>:criteria", "entry:<name>:pick_else"
    label: str
    fingerprint: str
    entry_rank: int | None = None
    entry_name: str | None = None


def entry_key(name: str) -> str:
    """How an entry is known across revisions: its name, case-folded and trimmed."""
    return " ".join(name.split()).casefold()


def _fingerprint(*parts: Any) -> str:
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:32]


# What the entry and the two declared items vouch for on their own; the rest is the frame.
_NOT_FRAME = frozenset({"entries", "criteria", "bias"})


def _frame(content: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything a reader sees that no entry item covers, the order of the entries included."""
    frame = {k: v for k, v in content.items() if k not in _NOT_FRAME}
    frame["order"] = [entry_key(e.get("name", "")) for e in entries]
    return frame


def items(content: dict[str, Any]) -> list[Item]:
    """The checklist for one revision's content: three post items, then two per entry."""
    entries = sorted(content.get("entries", []), key=lambda e: e.get("rank", 0))
    frame = _frame(content, entries)
    # A weight is part of what the criteria item vouches for (an unweighted criterion's
    # fingerprint is as it always was).
    criteria = [
        (c.get("name", ""), c.get("description", ""), *([c["weight"]] if "weight" in c else []))
        for c in content.get("criteria", [])
    ]
    out = [
        Item(
            "post:bias",
            "The author's bias is declared",
            _fingerprint(content.get("bias", ""), frame),
        ),
        Item(
            "post:criteria",
            "The criteria are declared and make sense for this ranking",
            _fingerprint(criteria, frame),
        ),
        Item(
            "post:presentation",
            "The title, summary, introduction, takeaways, FAQ, tags and order of the entries "
            "present the ranking fairly",
            _fingerprint(frame),
        ),
    ]
    if paid_links(content):
        out.append(
            Item(
                "post:disclosure",
                "The disclosure of sponsored and affiliate links is clear and conspicuous",
                _fingerprint(content.get("disclosure", ""), frame),
            )
        )
    for entry in entries:
        name, rank = entry.get("name", ""), entry.get("rank")
        key = entry_key(name)
        # Any change to the entry (but its rank: moving is not changing) resets both ticks.
        fingerprint = _fingerprint({k: v for k, v in entry.items() if k != "rank"})
        out.append(
            Item(
                f"entry:{key}:criteria",
                "How it fares on each criterion is stated",
                fingerprint,
                rank,
                name,
            )
        )
        out.append(
            Item(
                f"entry:{key}:pick_else",
                "The when-to-pick-something-else note names a real alternative",
                fingerprint,
                rank,
                name,
            )
        )
    return out
