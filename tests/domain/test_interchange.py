"""The interchange format (no app): structure, limits, field paths and the committed schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editorial.domain import interchange
from editorial.domain.interchange import LIMITS, InterchangeError, json_schema, parse_post
from tests.conftest import SAMPLES, sample

DOCS_SCHEMA = Path(__file__).resolve().parent.parent.parent / "docs" / "ranking-post.schema.json"


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_samples_parse_and_round_trip(path):
    post = parse_post(path.read_text())
    assert parse_post(post.content()).content() == post.content()


def test_optional_fields_may_be_absent():
    data = sample()
    for key in ("intro", "takeaways", "faq", "tags"):
        data.pop(key, None)
    for entry in data["entries"]:
        entry.pop("url", None)
        entry.pop("best_for", None)
    content = parse_post(data).content()
    assert "intro" not in content
    assert "url" not in content["entries"][0]
    assert content["tags"] == []


def test_meta_is_accepted_and_ignored():
    data = {**sample(), "meta": {"id": 7, "state": "published", "revision": 12}}
    assert "meta" not in parse_post(data).content()


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d.pop("bias"), "bias", "Field required"),
        (lambda d: d["entries"][1].update(url="javascript:alert(1)"), "entries[1].url", "http"),
        (lambda d: d["entries"][0].update(url="not a url"), "entries[0].url", "http"),
        (lambda d: d["entries"][2].update(rank="third"), "entries[2].rank", "integer"),
        (
            lambda d: d["entries"][0]["criteria"][1].update(note=["x"]),
            "entries[0].criteria[1].note",
            "string",
        ),
        (lambda d: d.update(title="x" * (LIMITS["title"] + 1)), "title", "at most 200 characters"),
        (lambda d: d.update(state="published"), "state", "Extra inputs"),
        (lambda d: d["entries"][0].update(pickelse="typo"), "entries[0].pickelse", "Extra inputs"),
        (
            lambda d: d.update(entries=[d["entries"][0]] * (LIMITS["entries"] + 1)),
            "entries",
            "at most 50",
        ),
    ],
)
def test_bad_fields_are_named_by_path(change, path, message):
    data = sample()
    change(data)
    with pytest.raises(InterchangeError) as info:
        parse_post(data)
    paths = dict(info.value.problems)
    assert path in paths
    assert message in paths[path]


@pytest.mark.parametrize("rank", [True, "2", 1.5])
def test_rank_must_be_a_whole_number(rank):
    data = sample()
    data["entries"][0]["rank"] = rank
    with pytest.raises(InterchangeError) as info:
        parse_post(data)
    assert "entries[0].rank" in dict(info.value.problems)


@pytest.mark.parametrize("text", ["{", "[]", '"a string"', b"\xff\xfe", "[" * 100_000])
def test_not_json_or_not_an_object(text):
    with pytest.raises(InterchangeError) as info:
        parse_post(text)
    assert info.value.problems[0][0] == ""


def test_control_characters_are_removed_and_text_trimmed():
    data = sample()
    data["title"] = "  Best\x00 tools\x1b ranked\u0085\ud800 \n"
    data["bias"] = "Line one\nLine two\tindented"
    post = parse_post(data)
    assert post.title == "Best tools ranked"
    assert post.bias == "Line one\nLine two\tindented"


def test_committed_schema_matches_the_code():
    committed = json.loads(DOCS_SCHEMA.read_text())
    assert committed == json_schema(), (
        "docs/ranking-post.schema.json is stale: "
        "python -m editorial.domain.interchange > docs/ranking-post.schema.json"
    )


def test_schema_describes_the_format():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"title", "slug", "summary", "bias", "criteria", "entries"}
    entry = schema["$defs"]["Entry"]
    assert {"rank", "name"} <= set(entry["required"])
    assert entry["additionalProperties"] is False


def test_a_value_too_long_as_sent_is_refused_even_if_cleaning_would_shorten_it():
    # The JSON Schema's maxLength holds for the text as sent: control characters and
    # surrounding space that cleaning drops do not buy room.
    data = sample()
    data["criteria"][0]["name"] = "\x06" + "x" * LIMITS["short_text"]
    with pytest.raises(InterchangeError) as caught:
        parse_post(data)
    assert caught.value.problems == [
        ("criteria[0].name", f"String should have at most {LIMITS['short_text']} characters")
    ]
    data["criteria"][0]["name"] = "\x06" + "x" * (LIMITS["short_text"] - 1)
    assert parse_post(data).criteria[0].name == "x" * (LIMITS["short_text"] - 1)


def test_an_address_is_refused_for_any_character_python_calls_a_space() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert [c for c in map(chr, range(0x110000)) if interchange._SPACE.search(c)] == spaces
    for space in spaces:
        with pytest.raises(ValueError):
            interchange.check_url(f"https://example.org/a{space}b")
    assert interchange.check_url("https://example.org/a") == "https://example.org/a"
