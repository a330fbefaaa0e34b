"""The reviewer's checklist, with no app at all: which items a post has, and which content
each item vouches for (its fingerprint), so that ticks survive exactly the edits they should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from editorial.domain.checklist import entry_key, items
from tests.conftest import sample
from tests.helpers.rules import entry


def fingerprints(content: dict[str, Any]) -> dict[str, str]:
    return {item.key: item.fingerprint for item in items(content)}


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The items whose tick an edit from ``before`` to ``after`` resets (or drops)."""
    old, new = fingerprints(before), fingerprints(after)
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


POST_ITEMS = {"post:bias", "post:criteria", "post:presentation"}


def test_three_post_items_then_two_per_entry_by_rank():
    content = sample()
    content["entries"].reverse()  # stored order does not matter: rank does
    checklist = items(content)
    assert [i.key for i in checklist] == [
        "post:bias",
        "post:criteria",
        "post:presentation",
        "entry:django:criteria",
        "entry:django:pick_else",
        "entry:fastapi:criteria",
        "entry:fastapi:pick_else",
        "entry:flask:criteria",
        "entry:flask:pick_else",
        "entry:litestar:criteria",
        "entry:litestar:pick_else",
    ]
    assert [(i.entry_rank, i.entry_name) for i in checklist[:4]] == [
        (None, None),
        (None, None),
        (None, None),
        (1, "Django"),
    ]
    assert all(i.label for i in checklist)
    assert len({i.label for i in checklist}) == 5, "one wording per kind of item"


def test_entry_key_is_the_name_case_folded_and_trimmed():
    assert entry_key("  Big   Name ") == "big name"
    assert entry_key("Straße") == entry_key("STRASSE")
    assert items({"entries": [{"rank": 1, "name": "  Hugo  Extended"}]})[3].key == (
        "entry:hugo extended:criteria"
    )


def test_the_same_content_gives_the_same_fingerprints_whatever_the_key_order():
    content = sample()
    shuffled = {key: content[key] for key in reversed(list(content))}
    shuffled["entries"] = [{k: e[k] for k in reversed(list(e))} for e in content["entries"]]
    assert fingerprints(shuffled) == fingerprints(content)


def test_moving_an_entry_keeps_its_ticks_but_resets_the_post_items():
    before = sample()
    after = copy.deepcopy(before)
    ranks = {e["name"]: e["rank"] for e in after["entries"]}
    entry(after, "Django")["rank"], entry(after, "Flask")["rank"] = ranks["Flask"], ranks["Django"]
    # The order is what a ranking claims: whoever vouched for the post vouches for it again.
    assert changed_keys(before, after) == POST_ITEMS
    assert [i.entry_name for i in items(after)][3::2] == ["Flask", "FastAPI", "Django", "Litestar"]


def test_an_entrys_two_items_vouch_for_the_whole_entry():
    assert (
        fingerprints(sample())["entry:flask:criteria"]
        == (fingerprints(sample())["entry:flask:pick_else"])
    )


def edit_verdict(content: dict[str, Any]) -> None:
    entry(content, "Flask")["verdict"] += " It is also very small."


def edit_note(content: dict[str, Any]) -> None:
    entry(content, "Flask")["criteria"][0]["note"] = "Quick enough for most sites."


def edit_pick_else(content: dict[str, Any]) -> None:
    entry(content, "Flask")["pick_else"] = "Pick Django instead when you need an admin."


def edit_url(content: dict[str, Any]) -> None:
    entry(content, "Flask")["url"] = "https://flask.palletsprojects.com/en/stable/"


def edit_best_for(content: dict[str, Any]) -> None:
    entry(content, "Flask")["best_for"] = "Small services"


def test_any_change_to_an_entry_resets_both_its_items_and_only_those():
    for edit in (edit_verdict, edit_note, edit_pick_else, edit_url, edit_best_for):
        before = sample()
        after = copy.deepcopy(before)
        edit(after)
        assert changed_keys(before, after) == {"entry:flask:criteria", "entry:flask:pick_else"}, (
            edit.__name__
        )


def test_moving_and_editing_an_entry_resets_it():
    before = sample()
    after = copy.deepcopy(before)
    entry(after, "Flask")["rank"], entry(after, "Django")["rank"] = 1, 3
    edit_verdict(after)
    assert changed_keys(before, after) == {
        "entry:flask:criteria",
        "entry:flask:pick_else",
        *POST_ITEMS,
    }


def test_changing_the_bias_changes_only_the_bias_item():
    before = sample()
    after = copy.deepcopy(before)
    after["bias"] = "I was paid by nobody, and I use Django every day."
    assert changed_keys(before, after) == {"post:bias"}


def test_changing_the_criteria_changes_only_the_criteria_item():
    for edit in ("description", "name", "add"):
        before = sample()
        after = copy.deepcopy(before)
        if edit == "add":
            after["criteria"].append({"name": "Documentation", "description": ""})
        else:
            after["criteria"][1][edit] = after["criteria"][1][edit] + " (revised)"
        assert changed_keys(before, after) == {"post:criteria"}, edit


def test_reordering_the_criteria_changes_the_criteria_item():
    before = sample()
    after = copy.deepcopy(before)
    after["criteria"].reverse()  # the order says which criterion weighs most
    assert changed_keys(before, after) == {"post:criteria"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "SPONSORED: Laravel is the best framework"),
        ("slug", "laravel-wins"),
        ("summary", "A shorter summary."),
        ("intro", "A new introduction."),
        ("correction", "We got the Flask numbers wrong."),
        ("takeaways", ["Laravel is best."]),
        ("faq", [{"question": "Why Laravel?", "answer": "Because."}]),
        ("tags", ["php"]),
        ("a-field-added-later", "shown to readers"),
    ],
)
def test_everything_a_reader_sees_outside_the_entries_resets_every_post_item(field, value):
    before = sample()
    after = copy.deepcopy(before)
    assert after.get(field) != value
    after[field] = value
    assert changed_keys(before, after) == POST_ITEMS


def test_renaming_an_entry_replaces_its_items():
    before = sample()
    after = copy.deepcopy(before)
    entry(after, "Flask")["name"] = "Quart"
    assert changed_keys(before, after) == {
        "entry:flask:criteria",
        "entry:flask:pick_else",
        "entry:quart:criteria",
        "entry:quart:pick_else",
        *POST_ITEMS,  # the list of what is ranked changed
    }
    assert "entry:flask:criteria" not in fingerprints(after)


def test_removing_an_entry_drops_its_items_and_leaves_the_others():
    before = sample()
    after = copy.deepcopy(before)
    after["entries"] = [e for e in after["entries"] if e["name"] != "FastAPI"]
    for rank, kept in enumerate(after["entries"], start=1):
        kept["rank"] = rank
    # The others keep their ticks though they moved up; the post items vouch for a new order.
    assert changed_keys(before, after) == {
        "entry:fastapi:criteria",
        "entry:fastapi:pick_else",
        *POST_ITEMS,
    }


def test_a_post_with_no_entries_still_has_its_post_items():
    assert [i.key for i in items({"bias": "", "criteria": [], "entries": []})] == [
        "post:bias",
        "post:criteria",
        "post:presentation",
    ]
