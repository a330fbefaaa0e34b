"""The editorial rules: what makes a ranking post honest and complete.

Pure functions over ``interchange.RankingPost`` (no app, no database, no clock), so
the forms, the API and the review workflow all report the same findings, worded the
same way. Errors block publishing; warnings are advice a writer may overrule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from editorial.domain import findings, rules_scoring
from editorial.domain.findings import (
    BIAS_PLACEHOLDERS,
    PLACEHOLDERS,
    Finding,
    Severity,
    has_errors,
)
from editorial.domain.findings import bare as _bare
from editorial.domain.findings import error as _error
from editorial.domain.findings import label as _label
from editorial.domain.findings import quote as _quote
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
# bare() keeps the characters [\W_] does not match: a text that keeps more of them than the
# longest placeholder has is none, told from its first words.
_KEPT = max(map(len, BIAS_PLACEHOLDERS)) + 1
_PAST_PLACEHOLDERS = re.compile(rf"[\W_]*(?:[^\W_][\W_]*){{{_KEPT}}}")
# A name's comparison key, kept per process: a post compares the same few names thousands of
# times (each entry's with every earlier one's, each note's criterion with the declared ones).
_key = lru_cache(maxsize=4096)(findings.key)


def check_post(post: RankingPost) -> list[Finding]:
    """All findings for a post: errors, then warnings, each in document order."""
    declared = _declared(post)
    findings = [
        *_check_header(post),
        *_check_criteria(post),
        *_check_entry_list(post),
        *_check_faq(post),
        *rules_scoring.check_scores(post),
        *rules_scoring.check_disclosure(post),
        *rules_scoring.check_evidence(post),
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
    elif _placeholder(post.bias, BIAS_PLACEHOLDERS):
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
                f"as a criterion (declared: {_listing(declared)})."
            )
            yield "entry-unknown-criterion", Severity.ERROR, message, f"{at}.criterion"
        elif key in noted:
            message = f'{label} has more than one note on "{declared[key]}"; merge them.'
            yield "entry-criterion-repeated", Severity.ERROR, message, f"{at}.criterion"
        noted.add(key)
        if _placeholder(note.note):
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
    elif _placeholder(text):
        message = f"{label} has a placeholder {PICK_ELSE} ({_quote(text)}); {advice}."
        yield "entry-placeholder-pick-else", Severity.ERROR, message
    elif (
        len(_words(text)) < MIN_PICK_ELSE_WORDS
        or sum(map(str.isalpha, _MD_LINK.sub(r"\1", text))) < MIN_PICK_ELSE_LETTERS
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


def _listing(declared: dict[str, str]) -> str:
    return ", ".join(f'"{name}"' for name in declared.values()) or "none"


def _placeholder(text: str, placeholders: frozenset[str] = PLACEHOLDERS) -> bool:
    """Whether ``text`` says nothing (``bare(text)`` is one of ``placeholders``)."""
    if _PAST_PLACEHOLDERS.match(text.casefold()):
        return False  # a note's first words settle it: no need to strip all of it
    return _bare(text) in placeholders


def _words(text: str) -> list[str]:
    return _WORD.findall(_MD_LINK.sub(r"\1", text))


def _is_i(word: str) -> bool:
    return word == "I" or word.startswith(("I'", "I’"))
