"""The rules on what checks a ranking's order and its trust signals (pure): weights and scores
against the declared ranks, disclosure of sponsored and affiliate links, and evidence behind
the entry ranked first. ``rules.check_post`` runs them with the rest."""

from __future__ import annotations

from editorial.domain import disclosure, weighting
from editorial.domain.findings import (
    BIAS_PLACEHOLDERS,
    Finding,
    Severity,
    bare,
    error,
    key,
    label,
    quote,
)
from editorial.domain.interchange import Entry, RankingPost

# --- evidence ---------------------------------------------------------------------------


def check_evidence(post: RankingPost) -> list[Finding]:
    """The entry ranked first rests on something a reader can check."""
    out: list[Finding] = []
    for i, entry in enumerate(post.entries):
        # An entry judged on nothing has an error saying so already.
        if entry.rank != 1 or not entry.criteria or any(n.evidence for n in entry.criteria):
            continue
        message = (
            f"{label(entry)} ranks first with no evidence behind any criterion; link a test, "
            "a measurement or a source on at least one of its notes."
        )
        name = entry.name.strip() or None
        field = f"entries[{i}].criteria"
        out.append(Finding("evidence-missing", Severity.WARNING, message, field, 1, name))
    return out


# --- material connections -------------------------------------------------------------


def check_disclosure(post: RankingPost) -> list[Finding]:
    """Sponsored and affiliate links need a disclosure; a marked link needs an address."""
    out: list[Finding] = []
    for i, entry in enumerate(post.entries):
        if entry.link and not entry.url:
            message = f"{label(entry)} is marked as a {entry.link} link but has no web address."
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
    if paid and bare(post.disclosure or "") in BIAS_PLACEHOLDERS:
        shown = ", ".join(quote(url, 60) for _, url in paid[:3])
        more = f" and {len(paid) - 3} more" if len(paid) > 3 else ""
        message = (
            f"This post has sponsored or affiliate links ({shown}{more}); disclose the material "
            "connection in the disclosure field, which the page shows above the first entry."
        )
        out.append(error("disclosure-missing", message, "disclosure"))
    return out


# --- weights and scores -----------------------------------------------------------------


def check_scores(post: RankingPost) -> list[Finding]:
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
                f'{label(entry)} scores {number(note.score)} on "{note.criterion}", outside '
                f"the post's scale ({number(scale.min)} to {number(scale.max)})."
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
    keyed = [(name, key(name)) for name, _ in criteria]
    for i, entry in enumerate(post.entries):
        given = weighting.scores(entry)
        for name, name_key in keyed:
            if name_key in given:
                continue
            index = next(
                (j for j, n in enumerate(entry.criteria) if key(n.criterion) == name_key), None
            )
            field = f"entries[{i}].criteria" + (f"[{index}].score" if index is not None else "")
            message = f'{label(entry)} has no score on "{name}", a weighted criterion.'
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
                f"{label(entry)} is ranked above {label(higher[0], lower=True)}, whose weighted "
                f"total is higher ({number(higher[1])} against {number(total)}); reorder them "
                "or add an override note saying why."
            )
            add("rank-against-scores", Severity.ERROR, message, f"entries[{i}].override", entry)
        if below and abs(below[0][1] - total) <= weighting.TIE:
            message = (
                f"{label(entry)} and {label(below[0][0], lower=True)} have the same weighted "
                f"total ({number(total)}); say in a verdict how the tie is broken."
            )
            add("scores-tied", Severity.WARNING, message, f"entries[{below[0][2]}]", below[0][0])
    for win in weighting.never_first(post):
        entry = post.entries[win.index]
        add("never-first", Severity.WARNING, win.describe(), f"entries[{win.index}]", entry)
    return out


def number(value: float) -> str:
    """A score or total as a reader writes it: 7, 7.5, 7.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
