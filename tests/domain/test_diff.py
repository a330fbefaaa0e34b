"""The ranking-aware diff between two revisions, tested on plain contents: no app, no database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader

from editorial.domain.diff import EntryMove, FieldChange, WordChange, diff_posts, word_diff
from tests.conftest import sample
from tests.helpers.rules import entry

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def reranked(content: dict[str, Any], *names: str) -> dict[str, Any]:
    """A copy of ``content`` with its entries in the order of ``names``, renumbered."""
    by_name = {entry["name"]: entry for entry in content["entries"]}
    out = copy.deepcopy(content)
    out["entries"] = [dict(copy.deepcopy(by_name[name]), rank=i) for i, name in enumerate(names, 1)]
    return out


def old_text(words: list[WordChange]) -> str:
    return "".join(run.text for run in words if run.op != "insert")


def new_text(words: list[WordChange]) -> str:
    return "".join(run.text for run in words if run.op != "delete")


def field(fields: list[FieldChange], label: str) -> FieldChange:
    (found,) = [f for f in fields if f.label == label]
    return found


def render(diff: Any) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return str(env.get_template("history/_diff.html").module.render_diff(diff))


# Ranking changes ---------------------------------------------------------------------------


def test_an_entry_moved_to_the_top_is_reported_with_both_ranks() -> None:
    old = reranked(sample(), "Django", "Flask", "FastAPI", "Litestar")
    new = reranked(sample(), "FastAPI", "Django", "Flask", "Litestar")

    diff = diff_posts(old, new)

    assert diff.summary() == [
        "FastAPI moved #3 → #1",
        "Django moved #1 → #2",
        "Flask moved #2 → #3",
    ]
    assert diff.moved[0] == EntryMove("FastAPI", 3, 1)
    assert not (diff.fields or diff.added or diff.removed or diff.changed)


def test_added_and_removed_entries_are_listed_and_every_rank_change_is_a_move() -> None:
    old = sample()
    new = reranked(old, "Django", "FastAPI", "Litestar")  # Flask (#3) removed
    bottle = {"rank": 2, "name": "Bottle", "url": "https://bottlepy.org/", "verdict": "Tiny."}
    new["entries"].insert(1, bottle)
    for rank, item in enumerate(new["entries"], 1):
        item["rank"] = rank

    diff = diff_posts(old, new)

    assert diff.added == [(2, "Bottle")]
    assert diff.removed == [(3, "Flask")]
    assert diff.moved == [EntryMove("FastAPI", 2, 3)]  # Litestar is #4 in both
    assert "Added #2 Bottle" in diff.summary()
    assert "Removed Flask (was #3)" in diff.summary()


def test_entries_match_by_name_ignoring_case_and_spacing() -> None:
    old = sample()
    new = copy.deepcopy(old)
    entry(new, "FastAPI").update(name="  fastapi ", url="https://fastapi.example/")

    diff = diff_posts(old, new)

    assert diff.added == diff.removed == diff.moved == []
    (change,) = diff.changed
    assert [(f.label, f.new) for f in change.fields] == [
        ("Name", "  fastapi "),
        ("URL", "https://fastapi.example/"),
    ]


def test_a_renamed_entry_is_matched_by_its_url_and_can_move_too() -> None:
    old = sample()
    new = reranked(old, "Litestar", "Django", "FastAPI", "Flask")
    entry(new, "Litestar")["name"] = "Starlite"

    diff = diff_posts(old, new)

    assert diff.added == diff.removed == []
    assert diff.moved[0] == EntryMove("Starlite", 4, 1)
    (change,) = diff.changed
    assert (change.name, change.old_rank, change.new_rank) == ("Starlite", 4, 1)
    name = field(change.fields, "Name")
    assert (name.path, name.old, name.new) == ("entries[0].name", "Litestar", "Starlite")
    assert "Renamed Litestar → Starlite" in diff.summary()


def test_entries_without_a_matching_name_or_url_are_removed_and_added() -> None:
    old = sample()
    new = copy.deepcopy(old)
    entry(new, "Flask").update(name="Quart", url="https://quart.palletsprojects.com/")

    diff = diff_posts(old, new)

    assert diff.removed == [(3, "Flask")]
    assert diff.added == [(3, "Quart")]
    assert diff.changed == []


# Field changes -----------------------------------------------------------------------------


def test_a_changed_verdict_shows_the_changed_word_between_unchanged_words() -> None:
    old = sample()
    new = copy.deepcopy(old)
    verdict = entry(old, "Django")["verdict"]
    entry(new, "Django")["verdict"] = verdict.replace("the safest default", "the simplest default")

    (change,) = diff_posts(old, new).changed

    (verdict_change,) = change.fields
    assert (verdict_change.label, verdict_change.path) == ("Verdict", "entries[0].verdict")
    assert [run.op for run in verdict_change.words] == ["equal", "delete", "insert", "equal"]
    assert verdict_change.words[1:3] == [
        WordChange("delete", "safest"),
        WordChange("insert", "simplest"),
    ]
    assert old_text(verdict_change.words) == verdict
    assert new_text(verdict_change.words) == entry(new, "Django")["verdict"]


TRICKY = [
    ("", ""),
    ("", "brand new text"),
    ("all of it goes", ""),
    ("   ", "\n\t "),
    ("  padded  words  ", "padded words"),
    ("line one\n\nline two", "line one\nline 2\n"),
    ("Ünïcödé café — naïve", "Unicode café – naive"),
    ("日本語のテキスト", "日本語の文章です"),
    ("emoji 🎉 party", "emoji 🎊 party 🎉"),
    ("It's fast, isn't it?", "It’s fast; isn’t it!"),
    ("state-of-the-art, re-ranked", "state of the art (re-ranked)"),
    ("$100 [link](https://x.org) **bold**", "$120 [link](https://y.org) *bold*"),
    ("same words", "same words"),
]


@pytest.mark.parametrize(("old", "new"), TRICKY)
def test_word_diff_runs_join_back_into_the_old_and_new_text(old: str, new: str) -> None:
    words = word_diff(old, new)

    assert old_text(words) == old
    assert new_text(words) == new
    assert all(run.text for run in words)
    assert all(a.op != b.op for a, b in zip(words, words[1:], strict=False))
    assert all(run.op == "equal" for run in words) == (old == new)


def test_spaces_between_two_changed_words_join_one_deletion_and_one_insertion() -> None:
    assert word_diff("the quick brown fox", "the slow red fox") == [
        WordChange("equal", "the "),
        WordChange("delete", "quick brown"),
        WordChange("insert", "slow red"),
        WordChange("equal", " fox"),
    ]


def test_a_criterion_note_change_is_labelled_with_the_criterion_name() -> None:
    old = sample()
    new = copy.deepcopy(old)
    flask = entry(new, "Flask")
    flask["criteria"][1]["note"] = "Huge."
    del flask["criteria"][2]  # the "Learning curve" note is gone

    (change,) = diff_posts(old, new).changed

    assert change.name == "Flask"
    ecosystem = field(change.fields, "Note on “Ecosystem”")
    assert (ecosystem.path, ecosystem.new) == ("entries[2].criteria[1].note", "Huge.")
    learning = field(change.fields, "Note on “Learning curve”")
    assert learning.old and learning.new == ""


def test_a_renamed_criterion_keeps_the_entries_notes_matched() -> None:
    old = sample()
    new = copy.deepcopy(old)
    new["criteria"][0]["name"] = "Speed"
    for item in new["entries"]:
        item["criteria"][0]["criterion"] = "Speed"

    diff = diff_posts(old, new)

    assert [(f.label, f.old, f.new) for f in diff.fields] == [
        ("Criterion 1 name", "Performance", "Speed")
    ]
    assert diff.changed == []


def test_post_fields_lists_and_faq_answers_get_reader_labels() -> None:
    old = sample()
    new = copy.deepcopy(old)
    new["bias"] += " I also sponsor Litestar."
    new["tags"].append("async")
    new["takeaways"].pop()
    new["faq"][0]["answer"] = "No."
    new["criteria"].append({"name": "Price", "description": "What it costs."})

    diff = diff_posts(old, new)

    assert [f.label for f in diff.fields] == [
        "Bias disclosure",
        "Criterion “Price”",
        "Takeaways",
        "FAQ: “Is Flask dead in 2026?” answer",
        "Tags",
    ]
    assert field(diff.fields, "Criterion “Price”").old == ""
    assert field(diff.fields, "FAQ: “Is Flask dead in 2026?” answer").path == "faq[0].answer"
    tags = field(diff.fields, "Tags")
    assert (tags.old, tags.new) == ("python, web, frameworks", "python, web, frameworks, async")
    assert field(diff.fields, "Takeaways").old.count("\n") == 2


def test_a_reworded_faq_question_is_matched_by_position() -> None:
    old = sample()
    new = copy.deepcopy(old)
    new["faq"][1]["question"] = "Does speed matter?"

    (change,) = diff_posts(old, new).fields

    assert (change.label, change.path, change.new) == (
        "FAQ 2 question",
        "faq[1].question",
        "Does speed matter?",
    )


def test_identical_contents_give_an_empty_diff() -> None:
    diff = diff_posts(sample(), sample())

    assert diff.empty
    assert diff.summary() == []
    assert "No differences." in render(diff)


def test_missing_optional_keys_count_as_empty() -> None:
    bare = {"title": "T", "slug": "t", "summary": "S", "bias": "B", "criteria": [], "entries": []}
    bare["entries"] = [{"rank": 1, "name": "Flask", "criteria": [{"criterion": "Speed"}]}]
    full = copy.deepcopy(bare)
    full.update(intro="Hello.", correction="We fixed a typo.", tags=["web"], faq=[])
    full["entries"][0].update(url="https://flask.palletsprojects.com/", best_for="Small apps")
    full["entries"][0]["criteria"][0]["note"] = "Fine."

    diff = diff_posts(bare, full)

    assert [(f.label, f.old) for f in diff.fields] == [
        ("Introduction", ""),
        ("Correction", ""),
        ("Tags", ""),
    ]
    assert [f.label for f in diff.changed[0].fields] == ["URL", "Best for", "Note on “Speed”"]
    assert diff_posts({}, sample()).added[0] == (1, "Django")
    assert diff_posts(sample(), {}).removed[-1] == (4, "Litestar")


# The partial ------------------------------------------------------------------------------


def test_the_partial_marks_words_and_escapes_what_writers_typed() -> None:
    old = sample()
    new = copy.deepcopy(old)
    django = entry(new, "Django")
    django["name"] = "<script>alert(1)</script>"  # still matched, by its URL
    django["verdict"] = django["verdict"].replace("safest", "simplest")
    new["takeaways"][0] = "Django & <b>friends</b>"

    html = render(diff_posts(old, new))

    assert '<div class="diff">' in html
    assert "<del>safest</del><ins>simplest</ins>" in html
    assert "<h2>Post</h2>" in html
    assert "<h2>#1 &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in html
    assert "<li>Renamed Django → &lt;script&gt;" in html
    assert "&amp; &lt;b&gt;friends&lt;/b&gt;" in html
    assert "<script>" not in html and "<b>" not in html
    assert "<br>" in html  # takeaways are one per line


def test_line_breaks_sent_as_crlf_are_no_change():
    assert diff_posts({"intro": "One.\nTwo."}, {"intro": "One.\r\nTwo."}).empty


def test_a_change_of_spacing_alone_is_marked_where_it_is():
    """A field listed as changed always shows what changed, even when it is only spacing."""
    diff = diff_posts({"intro": "One. Two."}, {"intro": "One.\n\nTwo."})
    assert [f.label for f in diff.fields] == ["Introduction"]
    html = render(diff)
    assert '<del><span class="spacing" title="spacing">·' in html
    assert '<ins><span class="spacing" title="spacing">↵↵' in html
