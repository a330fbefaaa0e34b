"""Material connections (issue 18, point 6): sponsored and affiliate links need a disclosure,
carry rel="sponsored", and add an item to the reviewer's checklist. Pure: no app."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from editorial.domain import checklist, disclosure
from editorial.domain.interchange import parse_post
from editorial.domain.markdown import render_content, render_markdown
from editorial.domain.rules import Severity, check_post
from tests.helpers.rules import VALID, make_post

AFFILIATE = "https://shop.example.com/book?id=7&tag=ours-20"


@pytest.fixture(autouse=True)
def _default_params() -> Iterator[None]:
    disclosure.configure(disclosure.DEFAULT_AFFILIATE_PARAMS)
    yield
    disclosure.configure(disclosure.DEFAULT_AFFILIATE_PARAMS)


def findings(data):
    return [(f.code, f.severity, f.field) for f in check_post(make_post(data))]


def test_a_post_without_paid_links_needs_no_disclosure() -> None:
    assert disclosure.paid_links(VALID) == []
    assert findings(VALID) == []
    assert "post:disclosure" not in {i.key for i in checklist.items(VALID)}


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("entry-mark", "sponsored"),
        ("entry-mark", "affiliate"),
        ("entry-url", AFFILIATE),
        ("verdict", f"Buy it [here]({AFFILIATE}) for the best price, says everyone."),
        ("note", f"See <{AFFILIATE}>."),
    ],
)
def test_any_paid_link_needs_a_disclosure(where: str, value: str) -> None:
    data = copy.deepcopy(VALID)
    entry = data["entries"][1]
    if where == "entry-mark":
        entry["link"] = value
    elif where == "entry-url":
        entry["url"] = value
    elif where == "verdict":
        entry["verdict"] += " " + value
    else:
        entry["criteria"][0]["note"] += " " + value
    assert ("disclosure-missing", Severity.ERROR, "disclosure") in findings(data)
    for empty in ("", "None.", "No conflicts."):
        data["disclosure"] = empty
        assert ("disclosure-missing", Severity.ERROR, "disclosure") in findings(data)
    data["disclosure"] = "The vendor lent us a licence and pays us for sales through our link."
    assert [f for f in findings(data) if f[0] == "disclosure-missing"] == []
    item = next(i for i in checklist.items(data) if i.key == "post:disclosure")
    assert item.label == "The disclosure of sponsored and affiliate links is clear and conspicuous"
    # A new disclosure lapses the reviewer's tick on it.
    changed = {**data, "disclosure": data["disclosure"] + " Updated."}
    again = next(i for i in checklist.items(changed) if i.key == "post:disclosure")
    assert again.fingerprint != item.fingerprint


def test_the_message_names_the_links_it_found() -> None:
    data = copy.deepcopy(VALID)
    data["entries"][0]["url"] = AFFILIATE
    (finding,) = [f for f in check_post(make_post(data)) if f.code == "disclosure-missing"]
    assert "shop.example.com/book" in finding.message
    assert "above the first entry" in finding.message


def test_a_link_marked_paid_needs_an_address() -> None:
    data = copy.deepcopy(VALID)
    del data["entries"][2]["url"]
    data["entries"][2]["link"] = "sponsored"
    data["disclosure"] = "The vendor paid for this placement."
    assert ("link-without-url", Severity.ERROR, "entries[2].url") in findings(data)


def test_the_affiliate_parameters_are_configurable() -> None:
    assert disclosure.is_affiliate("https://x.example/?REF=me")
    assert not disclosure.is_affiliate("https://x.example/?partner=me")
    disclosure.configure(["partner"])
    assert disclosure.is_affiliate("https://x.example/a?b=1&partner=me")
    assert not disclosure.is_affiliate("https://x.example/?tag=me")


def test_affiliate_links_in_markdown_are_marked_sponsored() -> None:
    html = render_markdown(f"[the book]({AFFILIATE}) or [the docs](https://docs.example.com/?q=1)")
    assert 'rel="sponsored nofollow noopener noreferrer">the book</a>' in html
    assert 'rel="nofollow noopener noreferrer">the docs</a>' in html
    assert html.count("sponsored") == 1


def test_the_disclosure_is_rendered_markdown_and_round_trips() -> None:
    data = {**copy.deepcopy(VALID), "disclosure": "We earn a **commission**."}
    content = parse_post(data).content()
    assert content["disclosure"] == "We earn a **commission**."
    assert render_content(content)["disclosure"] == "<p>We earn a <strong>commission</strong>.</p>"
