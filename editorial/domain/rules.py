"""The editorial rules: what makes a ranking post honest and complete.

Pure functions over ``interchange.RankingPost`` (no app, no database, no clock), so
the forms, the API and the review workflow all report the same findings, worded the
same way. Errors block publishing; warnings are advice a writer may overrule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from editorial.domain import disclosure, weighting
from editorial.domain.interchange import Entry, RankingPost

__all__ = [
    "RULES_VERSION",
    "slug_problem",
    "SLUG_PATTERN",
    "Finding",
    "Severity",
    "check_post",
    "has_errors",
]

# Bump this whenever a rule, a message or a finding's shape changes: every revision's findings
# are stored with the version that computed them, and older ones are computed again.
# 2: "a short verdict (1 word)"; 3: weights and scores; 4: disclosure; 5: evidence
RULES_VERSION = 5

# Lowercase letters and digits in runs separated by single hyphens, 1 to 100 characters.
# Use ``fullmatch``; without ``\A``/``\Z`` the pattern also works in an HTML ``pattern``.
# At least one letter: an all-digit slug could not be told apart from a post's id.
SLUG_PATTERN = re.compile(r"^(?=[a-z0-9-]{1,100}$)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_EXAMPLE = "best-python-web-frameworks-2026"

MIN_CRITERIA = 2
MIN_ENTRIES = 2
MIN_VERDICT_WORDS = 12
MIN_PICK_ELSE_WORDS = 4
MIN_PICK_ELSE_LETTERS = 20

# Compared after _bare(): lowercase letters and digits only, so "**N/A**", "n.a." and
# "None." all reduce to an entry here, and "-", "—", "…" and "?" reduce to "".
PLACEHOLDERS = frozenset(
    "tbd tba tbc tk na none nil null todo fixme xxx wip later placeholder nothing "
    "notapplicable loremipsum".split()
) | {""}
# A disclosure has to disclose something: "No bias." says as little as "None.".
BIAS_PLACEHOLDERS = PLACEHOLDERS | {"nobias", "nobiases", "noconflicts", "nothingtodisclose"}

PICK_ELSE = '"when to pick something else" note'

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[[^\]]+\]\([^)\s]+[^)]*\)|<https?://[^>\s]+>|https?://\S+")
_CODE = re.compile(r"`[^`\n]+`")
_EMPHASIS = re.compile(r"[*~]+|(?<!\w)_+|_+(?!\w)")
_ABBREVIATION = re.compile(r"\b(e\.g|i\.e|vs|cf)\.", re.IGNORECASE)
# After ";" and ":" too: writers capitalise there or not, so it proves nothing.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+")
# A word as a name is written: "Node.js", "C#", "Ruby-on-Rails", "Django's".
_NAME_WORD = re.compile(r"[^\W\d_](?:[\w'’+#-]|\.(?=\w))*")
_POSSESSIVE = re.compile(r"['’]s$")


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


def check_post(post: RankingPost) -> list[Finding]:
    """All findings for a post: errors, then warnings, each in document order."""
    declared = _declared(post)
    findings = [
        *_check_header(post),
        *_check_criteria(post),
        *_check_entry_list(post),
        *_check_faq(post),
        *_check_scores(post),
        *_check_disclosure(post),
        *_check_evidence(post),
    ]
    for index, entry in enumerate(post.entries):
        findings += _check_entry(post, index, entry, declared)
    # sorted() is stable, so document order survives within each severity.
    return sorted(findings, key=lambda f: f.severity is not Severity.ERROR)


# --- post-level rules -------------------------------------------------------------------


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` is not a valid slug, or None when it is."""
    slug_rule = (
        "lowercase letters and digits separated by single hyphens, with at least one letter, "
        f'like "{SLUG_EXAMPLE}"'
    )
    if not slug.strip():
        return f"The post has no slug; use {slug_rule}."
    if not SLUG_PATTERN.fullmatch(slug):
        return f'The slug "{slug}" is not valid; use {slug_rule} (at most 100 characters).'
    return None


def _check_header(post: RankingPost) -> list[Finding]:
    out: list[Finding] = []
    if not post.title.strip():
        out.append(_error("title-missing", "The post has no title.", "title"))
    if problem := slug_problem(post.slug):
        out.append(_error("slug-invalid", problem, "slug"))
    if not post.summary.strip():
        message = "The post has no summary; say in a sentence or two what is ranked and for whom."
        out.append(_error("summary-missing", message, "summary"))
    disclose = "say what you use, sell, are paid by or were given, and how you tested"
    if not post.bias.strip():
        out.append(_error("bias-missing", f"The post has no bias disclosure; {disclose}.", "bias"))
    elif _bare(post.bias) in BIAS_PLACEHOLDERS:
        message = f"The bias disclosure {_quote(post.bias)} discloses nothing; {disclose}."
        out.append(_error("bias-missing", message, "bias"))
    return out


def _check_criteria(post: RankingPost) -> list[Finding]:
    out: list[Finding] = []
    named = {_key(c.name) for c in post.criteria if c.name.strip()}
    if len(named) < MIN_CRITERIA:
        message = (
            f"Declare at least {MIN_CRITERIA} criteria to judge the entries on; "
            f"this post declares {len(named)}."
        )
        out.append(_error("criteria-too-few", message, "criteria"))
    # Once some entry is judged on something, a criterion nobody is judged on is a loose end;
    # before that, entry-no-criteria already says everything.
    used = {_key(n.criterion) for e in post.entries for n in e.criteria}
    seen: set[str] = set()
    for i, criterion in enumerate(post.criteria):
        key = _key(criterion.name)
        if not key:
            message = f"Criterion {i + 1} has no name."
            out.append(_error("criterion-name-missing", message, f"criteria[{i}].name"))
        elif key in seen:
            message = f'The criterion "{criterion.name}" is declared more than once.'
            out.append(_error("criterion-duplicate", message, f"criteria[{i}].name"))
        elif used and key not in used:
            message = (
                f'No entry is judged on the criterion "{criterion.name}"; '
                "judge every entry on it or remove it."
            )
            out.append(Finding("criterion-unused", Severity.WARNING, message, f"criteria[{i}]"))
        seen.add(key)
    return out


def _check_entry_list(post: RankingPost) -> list[Finding]:
    out: list[Finding] = []
    count = len(post.entries)
    if count < MIN_ENTRIES:
        message = f"A ranking needs at least {MIN_ENTRIES} entries; this post has {count}."
        out.append(_error("entries-too-few", message, "entries"))
    ranks = sorted(e.rank for e in post.entries)
    if count and ranks != list(range(1, count + 1)):
        found = ", ".join(str(r) for r in ranks)
        if count == 1:
            message = f"The only entry must be ranked 1; found {found}."
        else:
            message = f"Ranks must run 1 to {count} with no gaps or repeats; found {found}."
        out.append(_error("ranks-not-sequential", message, "entries"))
    return out


def _check_faq(post: RankingPost) -> list[Finding]:
    out: list[Finding] = []
    for i, item in enumerate(post.faq):
        if item.question.strip() and not item.answer.strip():
            message = f'The FAQ question "{item.question}" has no answer.'
            out.append(_error("faq-incomplete", message, f"faq[{i}].answer"))
        elif item.answer.strip() and not item.question.strip():
            message = f"FAQ item {i + 1} has an answer but no question."
            out.append(_error("faq-incomplete", message, f"faq[{i}].question"))
    return out


# --- evidence ---------------------------------------------------------------------------


def _check_evidence(post: RankingPost) -> list[Finding]:
    """The entry ranked first rests on something a reader can check."""
    out: list[Finding] = []
    for i, entry in enumerate(post.entries):
        # An entry judged on nothing has an error saying so already.
        if entry.rank != 1 or not entry.criteria or any(n.evidence for n in entry.criteria):
            continue
        message = (
            f"{_label(entry)} ranks first with no evidence behind any criterion; link a test, "
            "a measurement or a source on at least one of its notes."
        )
        name = entry.name.strip() or None
        field = f"entries[{i}].criteria"
        out.append(Finding("evidence-missing", Severity.WARNING, message, field, 1, name))
    return out


# --- material connections -------------------------------------------------------------


def _check_disclosure(post: RankingPost) -> list[Finding]:
    """Sponsored and affiliate links need a disclosure; a marked link needs an address."""
    out: list[Finding] = []
    for i, entry in enumerate(post.entries):
        if entry.link and not entry.url:
            message = f"{_label(entry)} is marked as a {entry.link} link but has no web address."
            out.append(
                Finding(
                    "link-without-url",
                    Severity.ERROR,
                    message,
                    f"entries[{i}].url",
                    entry.rank,
                    entry.name.strip() or None,
                )
            )
    paid = disclosure.paid_links(post.model_dump(exclude_none=True))
    if paid and _bare(post.disclosure or "") in BIAS_PLACEHOLDERS:
        shown = ", ".join(_quote(url, 60) for _, url in paid[:3])
        more = f" and {len(paid) - 3} more" if len(paid) > 3 else ""
        message = (
            f"This post has sponsored or affiliate links ({shown}{more}); disclose the material "
            "connection in the disclosure field, which the page shows above the first entry."
        )
        out.append(_error("disclosure-missing", message, "disclosure"))
    return out


# --- weights and scores -----------------------------------------------------------------


def _check_scores(post: RankingPost) -> list[Finding]:
    """A scored post's scores are complete and on its scale, and its ranks follow the weighted
    totals (or say why not); a post without weights or scores has nothing to check here."""
    if not weighting.is_scored(post):
        return []
    out: list[Finding] = []

    def add(code: str, severity: Severity, message: str, field: str, entry: Entry | None) -> None:
        rank, name = (entry.rank, entry.name.strip() or None) if entry else (None, None)
        out.append(Finding(code, severity, message, field, rank, name))

    scored = any(n.score is not None for e in post.entries for n in e.criteria)
    if scored and post.scale is None:
        message = "Entries have scores but the post declares no scale; declare one (e.g. 0 to 10)."
        add("scale-missing", Severity.ERROR, message, "scale", None)
    for i, entry in enumerate(post.entries):
        for j, note in enumerate(entry.criteria):
            scale = post.scale
            if note.score is None or scale is None or scale.min <= note.score <= scale.max:
                continue
            message = (
                f'{_label(entry)} scores {_number(note.score)} on "{note.criterion}", outside '
                f"the post's scale ({_number(scale.min)} to {_number(scale.max)})."
            )
            field = f"entries[{i}].criteria[{j}].score"
            add("score-out-of-scale", Severity.ERROR, message, field, entry)

    criteria = weighting.weighted(post)
    if not criteria:
        message = (
            "Entries have scores but no criterion has a weight; weight the criteria so that "
            "the order can be checked against them."
        )
        add("weights-missing", Severity.WARNING, message, "criteria", None)
        return out
    if sum(weight for _, weight in criteria) <= 0:
        message = "Every criterion's weight is 0; give at least one a weight above 0."
        add("weights-all-zero", Severity.ERROR, message, "criteria", None)
        return out
    for i, entry in enumerate(post.entries):
        given = weighting.scores(entry)
        for name, _ in criteria:
            if _key(name) in given:
                continue
            index = next(
                (j for j, n in enumerate(entry.criteria) if _key(n.criterion) == _key(name)), None
            )
            field = f"entries[{i}].criteria" + (f"[{index}].score" if index is not None else "")
            message = f'{_label(entry)} has no score on "{name}", a weighted criterion.'
            add("score-missing", Severity.ERROR, message, field, entry)
    totals = weighting.totals(post)
    if totals is None or any(f.severity is Severity.ERROR for f in out):
        return out
    ranked = sorted(
        zip(post.entries, totals, range(len(totals)), strict=True), key=lambda r: r[0].rank
    )
    for place, (entry, total, i) in enumerate(ranked):
        below = ranked[place + 1 :]
        higher = max(below, key=lambda r: r[1], default=None)
        if higher and higher[1] > total + weighting.TIE and not (entry.override or "").strip():
            message = (
                f"{_label(entry)} is ranked above {_label(higher[0], lower=True)}, whose weighted "
                f"total is higher ({_number(higher[1])} against {_number(total)}); reorder them "
                "or add an override note saying why."
            )
            add("rank-against-scores", Severity.ERROR, message, f"entries[{i}].override", entry)
        if below and abs(below[0][1] - total) <= weighting.TIE:
            message = (
                f"{_label(entry)} and {_label(below[0][0], lower=True)} have the same weighted "
                f"total ({_number(total)}); say in a verdict how the tie is broken."
            )
            add("scores-tied", Severity.WARNING, message, f"entries[{below[0][2]}]", below[0][0])
    for win in weighting.never_first(post):
        entry = post.entries[win.index]
        add("never-first", Severity.WARNING, win.describe(), f"entries[{win.index}]", entry)
    return out


def _number(value: float) -> str:
    """A score or total as a reader writes it: 7, 7.5, 7.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- entry rules ------------------------------------------------------------------------


def _check_entry(
    post: RankingPost, index: int, entry: Entry, declared: dict[str, str]
) -> list[Finding]:
    at = f"entries[{index}]"
    label = _label(entry)
    out: list[Finding] = []

    def add(code: str, severity: Severity, message: str, field: str) -> None:
        name = entry.name.strip() or None
        out.append(Finding(code, severity, message, field, entry.rank, name))

    key = _key(entry.name)
    if not key:
        add("entry-name-missing", Severity.ERROR, f"{label} has no name.", f"{at}.name")
    else:
        earlier = next((e for e in post.entries[:index] if _key(e.name) == key), None)
        if earlier is not None:
            message = f"{label} has the same name as {_label(earlier, lower=True)}."
            add("entry-duplicate", Severity.ERROR, message, f"{at}.name")

    verdict_words = len(_words(entry.verdict))
    if verdict_words < MIN_VERDICT_WORDS:
        words = "1 word" if verdict_words == 1 else f"{verdict_words} words"
        gist = "no verdict" if not verdict_words else f"a short verdict ({words})"
        message = (
            f"{label} has {gist}; say in at least {MIN_VERDICT_WORDS} words why it earns this rank."
        )
        add("verdict-short", Severity.WARNING, message, f"{at}.verdict")

    for code, severity, message, field in _criteria_findings(entry, label, declared):
        add(code, severity, message, f"{at}.{field}")

    for code, severity, message in _pick_else_findings(post, entry, label):
        add(code, severity, message, f"{at}.pick_else")
    return out


def _criteria_findings(
    entry: Entry, label: str, declared: dict[str, str]
) -> Iterable[tuple[str, Severity, str, str]]:
    if not entry.criteria:
        message = f"{label} is not judged on any criterion; add a note for each declared one."
        yield "entry-no-criteria", Severity.ERROR, message, "criteria"
        return
    listing = ", ".join(f'"{name}"' for name in declared.values()) or "none"
    noted: set[str] = set()
    for j, note in enumerate(entry.criteria):
        at = f"criteria[{j}]"
        key = _key(note.criterion)
        if not key:
            message = f"{label} has a criterion note that names no criterion."
            yield "entry-unknown-criterion", Severity.ERROR, message, f"{at}.criterion"
        elif key not in declared:
            message = (
                f'{label} has a note on "{note.criterion}", which the post does not declare '
                f"as a criterion (declared: {listing})."
            )
            yield "entry-unknown-criterion", Severity.ERROR, message, f"{at}.criterion"
        elif key in noted:
            message = f'{label} has more than one note on "{declared[key]}"; merge them.'
            yield "entry-criterion-repeated", Severity.ERROR, message, f"{at}.criterion"
        noted.add(key)
        if _bare(note.note) in PLACEHOLDERS:
            about = f' on "{note.criterion}"' if key else ""
            shown = f" ({_quote(note.note)})" if note.note else ""
            gist = "a placeholder note" if note.note else "an empty note"
            message = f"{label} has {gist}{about}{shown}; say how it fares."
            yield "entry-note-empty", Severity.ERROR, message, f"{at}.note"
    for key, name in declared.items():
        if key not in noted:
            message = f'{label} is not judged on "{name}"; add a note on it.'
            yield "entry-criterion-missing", Severity.WARNING, message, "criteria"


def _pick_else_findings(
    post: RankingPost, entry: Entry, label: str
) -> Iterable[tuple[str, Severity, str]]:
    text = entry.pick_else.strip()
    advice = "say when a reader should choose something else, and what"
    if not text:
        yield "entry-missing-pick-else", Severity.ERROR, f"{label} has no {PICK_ELSE}."
    elif _bare(text) in PLACEHOLDERS:
        message = f"{label} has a placeholder {PICK_ELSE} ({_quote(text)}); {advice}."
        yield "entry-placeholder-pick-else", Severity.ERROR, message
    elif (
        len(_words(text)) < MIN_PICK_ELSE_WORDS
        or sum(ch.isalpha() for ch in _MD_LINK.sub(r"\1", text)) < MIN_PICK_ELSE_LETTERS
    ):
        message = f"{label} has a {PICK_ELSE} too short to help ({_quote(text)}); {advice}."
        yield "entry-pick-else-too-short", Severity.ERROR, message
    elif not _names_alternative(text, entry, post.entries):
        message = (
            f"{label} has a {PICK_ELSE} that names no alternative; name another entry "
            "or a specific product to pick instead."
        )
        yield "pick-else-no-alternative", Severity.WARNING, message


def _names_alternative(text: str, entry: Entry, entries: list[Entry]) -> bool:
    """Heuristic: does a pick-else note name something to pick instead?

    It does when it mentions another entry of this ranking by name (case-insensitive,
    whole words), holds a Markdown link, an autolink or a bare URL, holds an inline-code
    span, or holds a capitalised word that does not start a sentence (or a line) and is
    not "I" nor a word of the entry's own name: in English that is almost always a proper
    noun, such as a product. Acronyms ("SQL") pass too; it is a nudge, not a proof.
    """
    # The cheap tests first (each is enough on its own); the names of the other entries,
    # one pattern each, last: a post of 50 entries has 2,450 pairs.
    if _LINK.search(text) or _CODE.search(text):
        return True
    own_words = {w.casefold() for w in _NAME_WORD.findall(entry.name)}
    prose = _ABBREVIATION.sub(r"\1", _EMPHASIS.sub("", text))
    for sentence in _SENTENCE_BREAK.split(prose):
        for word in _NAME_WORD.findall(sentence)[1:]:
            bare = _POSSESSIVE.sub("", word).casefold()
            if word[0].isupper() and bare not in own_words and not _is_i(word):
                return True
    own = _key(entry.name)
    for other in entries:
        pattern = _name_pattern(other.name)
        if pattern is not None and _key(other.name) != own and pattern.search(text):
            return True
    return False


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """An entry's name as whole words, case-insensitively (None for a blank name)."""
    words = name.split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)


# --- helpers ----------------------------------------------------------------------------


def _declared(post: RankingPost) -> dict[str, str]:
    """Declared criteria by comparison key, first spelling kept, in declaration order."""
    declared: dict[str, str] = {}
    for criterion in post.criteria:
        key = _key(criterion.name)
        if key and key not in declared:
            declared[key] = criterion.name.strip()
    return declared


def _key(name: str) -> str:
    """A name as compared: case-folded, whitespace trimmed and collapsed."""
    return " ".join(name.split()).casefold()


# What str.isalnum() refuses: \W is everything but isalnum() characters and "_".
_NOT_ALNUM = re.compile(r"[\W_]+")


def _bare(text: str) -> str:
    """Only the letters and digits, lowercased: how placeholders are recognised."""
    return _NOT_ALNUM.sub("", text.casefold())


def _words(text: str) -> list[str]:
    return _WORD.findall(_MD_LINK.sub(r"\1", text))


def _is_i(word: str) -> bool:
    return word == "I" or word.startswith(("I'", "I’"))


def _label(entry: Entry, *, lower: bool = False) -> str:
    head = "entry" if lower else "Entry"
    name = entry.name.strip()
    return f'{head} #{entry.rank} "{name}"' if name else f"{head} #{entry.rank}"


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def _error(code: str, message: str, field: str) -> Finding:
    return Finding(code, Severity.ERROR, message, field)
