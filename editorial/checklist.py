"""The reviewer's checklist: what a reviewer signs off, item by item (pure; no app, no clock).

Each item has a stable ``key`` (entries are keyed by name, so a moved entry keeps its ticks)
and a ``fingerprint`` of exactly the content it vouches for. A tick is stored with the
fingerprint it was given on; when the content changes, the fingerprint no longer matches and
the tick lapses, which is how a post that comes back keeps the ticks of unchanged entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

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


def items(content: dict[str, Any]) -> list[Item]:
    """The checklist for one revision's content: two post items, then two per entry."""
    criteria = [(c.get("name", ""), c.get("description", "")) for c in content.get("criteria", [])]
    out = [
        Item("post:bias", "The author's bias is declared", _fingerprint(content.get("bias", ""))),
        Item(
            "post:criteria",
            "The criteria are declared and make sense for this ranking",
            _fingerprint(criteria),
        ),
    ]
    for entry in sorted(content.get("entries", []), key=lambda e: e.get("rank", 0)):
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
