"""A finding of the editorial rules, and the small text helpers every rule shares (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from editorial.domain.interchange import Entry

# Compared after bare(): lowercase letters and digits only, so "**N/A**", "n.a." and
# "None." all reduce to an entry here, and "-", "—", "…" and "?" reduce to "".
PLACEHOLDERS = frozenset(
    "tbd tba tbc tk na none nil null todo fixme xxx wip later placeholder nothing "
    "notapplicable loremipsum".split()
) | {""}
# A disclosure has to disclose something: "No bias." says as little as "None.".
BIAS_PLACEHOLDERS = PLACEHOLDERS | {"nobias", "nobiases", "noconflicts", "nothingtodisclose"}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing the rules found in a post; ``field`` is an interchange path."""

    code: str
    severity: Severity
    message: str
    field: str
    entry_rank: int | None = None
    entry_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as a JSON-able dict, as the API and the forms show it."""
        entry = None
        if self.entry_rank is not None:
            entry = {"rank": self.entry_rank, "name": self.entry_name}
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "field": self.field,
            "entry": entry,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The finding back from ``as_dict()``'s form (as stored with a revision)."""
        entry = data.get("entry") or {}
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            message=data["message"],
            field=data["field"],
            entry_rank=entry.get("rank"),
            entry_name=entry.get("name"),
        )


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (which blocks publishing)."""
    return any(f.severity is Severity.ERROR for f in findings)


def key(name: str) -> str:
    """A name as compared: case-folded, whitespace trimmed and collapsed."""
    return " ".join(name.split()).casefold()


# What str.isalnum() refuses: \W is everything but isalnum() characters and "_".
_NOT_ALNUM = re.compile(r"[\W_]+")


def bare(text: str) -> str:
    """Only the letters and digits, lowercased: how placeholders are recognised."""
    return _NOT_ALNUM.sub("", text.casefold())


def label(entry: Entry, *, lower: bool = False) -> str:
    head = "entry" if lower else "Entry"
    name = entry.name.strip()
    return f'{head} #{entry.rank} "{name}"' if name else f"{head} #{entry.rank}"


def quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def error(code: str, message: str, field: str) -> Finding:
    return Finding(code, Severity.ERROR, message, field)
