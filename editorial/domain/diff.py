"""What changed between two revisions of a ranking post, in a reader's terms.

Pure functions over interchange contents (plain dicts). Entries are matched by name, then
by URL, so a reader sees "FastAPI moved #3 → #1" and the words that changed in its verdict
rather than a wall of shifted lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EntryChange",
    "EntryMove",
    "FieldChange",
    "PostDiff",
    "WordChange",
    "diff_posts",
    "word_diff",
]

Content = Mapping[str, Any]

# Every character falls in exactly one token, so joining the tokens gives the text back.
_TOKEN = re.compile(r"\s+|\w+(?:['’-]\w+)*|[^\w\s]")

_POST_FIELDS = (
    ("title", "Title"),
    ("slug", "Slug"),
    ("summary", "Summary"),
    ("bias", "Bias disclosure"),
    ("intro", "Introduction"),
    ("correction", "Correction"),
)
_ENTRY_FIELDS = (
    ("name", "Name"),
    ("url", "URL"),
    ("best_for", "Best for"),
    ("verdict", "Verdict"),
    ("pick_else", "When to pick something else"),
    ("override", "Why it is ranked above a higher total"),
)
# Labels for a pair's head, a pair's body, and an item only one side has.
_CRITERION = ("Criterion {n} name", "Description of “{name}”", "Criterion “{name}”")
_FAQ = ("FAQ {n} question", "FAQ: “{name}” answer", "FAQ: “{name}”")


@dataclass(frozen=True)
class WordChange:
    """One run of a word diff: equal+delete runs join to the old text, equal+insert to the new."""

    op: str  # "equal" | "delete" | "insert"
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One changed field; ``path`` points into the new content where the field still exists."""

    label: str
    path: str
    old: str
    new: str
    words: list[WordChange]


@dataclass(frozen=True)
class EntryMove:
    """An entry whose rank changed."""

    name: str
    old_rank: int
    new_rank: int

    def __str__(self) -> str:
        return f"{self.name} moved #{self.old_rank} → #{self.new_rank}"


@dataclass(frozen=True)
class EntryChange:
    """An entry present in both revisions whose fields changed; ``name`` is the new name."""

    name: str
    old_rank: int
    new_rank: int
    fields: list[FieldChange]


@dataclass(frozen=True)
class PostDiff:
    """Everything that changed between two revisions of a post."""

    fields: list[FieldChange]
    moved: list[EntryMove]
    added: list[tuple[int, str]]
    removed: list[tuple[int, str]]
    changed: list[EntryChange]

    @property
    def empty(self) -> bool:
        """True when the two contents read the same."""
        return not (self.fields or self.moved or self.added or self.removed or self.changed)

    def summary(self) -> list[str]:
        """One line per move, added, removed and renamed entry, in that order."""
        lines = [str(move) for move in self.moved]
        lines += [f"Added #{rank} {name}" for rank, name in self.added]
        lines += [f"Removed {name} (was #{rank})" for rank, name in self.removed]
        for entry in self.changed:
            lines += [f"Renamed {f.old} → {f.new}" for f in entry.fields if f.label == "Name"]
        return lines


def word_diff(old: str, new: str) -> list[WordChange]:
    """The word-level runs that turn ``old`` into ``new``."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    # autojunk stays on: without it a rewritten 20,000-character intro takes seconds to diff,
    # because spaces and "the" match everywhere; small edits come out the same either way.
    opcodes = difflib.SequenceMatcher(None, a, b).get_opcodes()
    out: list[WordChange] = []
    deleted = inserted = ""
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        old_text, new_text = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag != "equal":
            deleted += old_text
            inserted += new_text
        elif old_text.isspace() and (deleted or inserted) and n + 1 < len(opcodes):
            # A lone space between two changes reads better inside one del/ins pair than as
            # "equal" confetti; opcodes alternate, so the one after an equal is a change.
            deleted += old_text
            inserted += old_text
        else:
            _flush(out, deleted, inserted)
            deleted = inserted = ""
            out.append(WordChange("equal", old_text))
    _flush(out, deleted, inserted)
    return out


def _flush(out: list[WordChange], deleted: str, inserted: str) -> None:
    if deleted:
        out.append(WordChange("delete", deleted))
    if inserted:
        out.append(WordChange("insert", inserted))


def diff_posts(old: Content, new: Content) -> PostDiff:
    """Compare two interchange contents; missing optional keys count as empty."""
    fields: list[FieldChange] = []
    for key, label in _POST_FIELDS:
        _add(fields, label, key, _s(old, key), _s(new, key))
    old_criteria, new_criteria = _items(old, "criteria"), _items(new, "criteria")
    pairs = _diff_named(
        old_criteria, new_criteria, fields, "criteria", "name", "description", _CRITERION
    )
    # Entry notes name their criterion: follow a renamed criterion to its new name.
    renamed = {
        _key(_s(old_criteria[i], "name")): _key(_s(new_criteria[j], "name")) for i, j in pairs
    }
    for i, j in pairs:
        o, n = old_criteria[i], new_criteria[j]
        label = f"Weight of “{_s(n, 'name') or _s(o, 'name')}”"
        _add(fields, label, f"criteria[{j}].weight", _number(o, "weight"), _number(n, "weight"))
    _add(fields, "Score scale", "scale", _scale(old), _scale(new))
    _add(fields, "Takeaways", "takeaways", *_joined(old, new, "takeaways", "\n"))
    _diff_named(_items(old, "faq"), _items(new, "faq"), fields, "faq", "question", "answer", _FAQ)
    _add(fields, "Tags", "tags", *_joined(old, new, "tags", ", "))

    old_entries, new_entries = _items(old, "entries"), _items(new, "entries")
    pairs, gone, came = _pair(
        [(_key(_s(e, "name")), _s(e, "url")) for e in old_entries],
        [(_key(_s(e, "name")), _s(e, "url")) for e in new_entries],
    )
    moved: list[EntryMove] = []
    changed: list[EntryChange] = []
    for i, j in pairs:
        o, n = old_entries[i], new_entries[j]
        old_rank, new_rank = _rank(o, i), _rank(n, j)
        if old_rank != new_rank:
            moved.append(EntryMove(_s(n, "name"), old_rank, new_rank))
        if entry_fields := _diff_entry(o, n, j, renamed):
            changed.append(EntryChange(_s(n, "name"), old_rank, new_rank, entry_fields))
    return PostDiff(
        fields=fields,
        moved=sorted(moved, key=lambda m: m.new_rank),
        added=sorted((_rank(new_entries[j], j), _s(new_entries[j], "name")) for j in came),
        removed=sorted((_rank(old_entries[i], i), _s(old_entries[i], "name")) for i in gone),
        changed=sorted(changed, key=lambda c: c.new_rank),
    )


def _diff_named(
    old: list[Content],
    new: list[Content],
    out: list[FieldChange],
    where: str,
    head: str,
    body: str,
    labels: tuple[str, str, str],
) -> list[tuple[int, int]]:
    """Add changes to criteria or FAQ items, paired by name or question, else in order."""
    pairs, gone, came = _pair(
        [(_key(_s(x, head)),) for x in old], [(_key(_s(x, head)),) for x in new], True
    )
    head_label, body_label, item_label = labels
    for i, j in pairs:
        o, n = old[i], new[j]
        name = _s(n, head) or _s(o, head)
        _add(out, head_label.format(n=j + 1), f"{where}[{j}].{head}", _s(o, head), _s(n, head))
        _add(out, body_label.format(name=name), f"{where}[{j}].{body}", _s(o, body), _s(n, body))
    lone = [(old[i], {}, i) for i in gone] + [({}, new[j], j) for j in came]
    for o, n, k in lone:
        label = item_label.format(name=_s(n, head) or _s(o, head))
        _add(out, label, f"{where}[{k}]", _block(o, head, body), _block(n, head, body))
    return pairs


def _diff_entry(old: Content, new: Content, j: int, renamed: dict[str, str]) -> list[FieldChange]:
    out: list[FieldChange] = []
    for key, label in _ENTRY_FIELDS:
        _add(out, label, f"entries[{j}].{key}", _s(old, key), _s(new, key))
    old_notes, new_notes = _items(old, "criteria"), _items(new, "criteria")
    old_keys = [renamed.get(k, k) for k in (_key(_s(c, "criterion")) for c in old_notes)]
    pairs, gone, came = _pair(
        [(k,) for k in old_keys], [(_key(_s(c, "criterion")),) for c in new_notes]
    )
    changes = [(old_notes[i], new_notes[k], f"entries[{j}].criteria[{k}].note") for i, k in pairs]
    changes += [(old_notes[i], {}, f"entries[{j}].criteria[{i}].note") for i in gone]
    changes += [({}, new_notes[k], f"entries[{j}].criteria[{k}].note") for k in came]
    for o, n, path in changes:
        criterion = _s(n, "criterion") or _s(o, "criterion")
        _add(out, f"Note on “{criterion}”", path, _s(o, "note"), _s(n, "note"))
        score = path.removesuffix(".note") + ".score"
        _add(out, f"Score on “{criterion}”", score, _number(o, "score"), _number(n, "score"))
        evidence = path.removesuffix(".note") + ".evidence"
        _add(out, f"Evidence on “{criterion}”", evidence, *_joined(o, n, "evidence", "\n"))
    for key, label in (("pros", "Pros"), ("cons", "Cons")):
        _add(out, label, f"entries[{j}].{key}", *_joined(old, new, key, "\n"))
    return out


def _pair(
    old: Sequence[tuple[str, ...]], new: Sequence[tuple[str, ...]], by_position: bool = False
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair items on each key in turn (empty keys never match), then the rest in order if asked.

    Returns the (old index, new index) pairs sorted by new index, and the unpaired indexes.
    """
    pairs: list[tuple[int, int]] = []
    free_old, free_new = list(range(len(old))), list(range(len(new)))
    for stage in range(min((len(k) for k in (*old, *new)), default=0)):
        waiting: dict[str, list[int]] = {}
        for i in free_old:
            if old[i][stage]:
                waiting.setdefault(old[i][stage], []).append(i)
        unmatched = []
        for j in free_new:
            if waiting.get(new[j][stage]):
                pairs.append((waiting[new[j][stage]].pop(0), j))
            else:
                unmatched.append(j)
        taken = {i for i, _ in pairs}
        free_old, free_new = [i for i in free_old if i not in taken], unmatched
    if by_position:
        pairs += zip(free_old, free_new, strict=False)
        n = min(len(free_old), len(free_new))
        free_old, free_new = free_old[n:], free_new[n:]
    return sorted(pairs, key=lambda p: p[1]), free_old, free_new


def _add(out: list[FieldChange], label: str, path: str, old: str, new: str) -> None:
    # A browser sends line breaks as CRLF: they are no change to the text.
    old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
    if old != new:
        out.append(FieldChange(label, path, old, new, word_diff(old, new)))


def _s(item: Content, key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value)


def _number(item: Content, key: str) -> str:
    """A weight or a score as written: 7, 7.5 (empty when there is none)."""
    value = item.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    return f"{value:g}"


def _scale(content: Content) -> str:
    scale = content.get("scale")
    if not isinstance(scale, Mapping):
        return ""
    return f"{_number(scale, 'min') or 0} to {_number(scale, 'max')}"


def _items(content: Content, key: str) -> list[Content]:
    return [item for item in content.get(key) or [] if isinstance(item, Mapping)]


def _joined(old: Content, new: Content, key: str, sep: str) -> tuple[str, str]:
    return sep.join(map(str, old.get(key) or [])), sep.join(map(str, new.get(key) or []))


def _block(item: Content, head: str, body: str) -> str:
    return "\n".join(text for text in (_s(item, head), _s(item, body)) if text)


def _rank(entry: Content, index: int) -> int:
    rank = entry.get("rank")
    return rank if isinstance(rank, int) else index + 1


def _key(name: str) -> str:
    """A name as compared: case-folded, whitespace trimmed and collapsed (as in rules.py)."""
    return " ".join(name.split()).casefold()
