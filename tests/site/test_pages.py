"""The public post page, rendered with only an app context (as the publisher's task does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from editorial import create_app
from editorial.domain.markdown import render_content
from editorial.site.pages import Correction, short_address
from editorial.site.post_page import render_post_page
from tests.conftest import SAMPLES, _config, sample

SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.json"))
HOSTILE = "<script>alert(1)</script>"
PUBLISHED = datetime(2026, 3, 1, 9, 0)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The node's text, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with this tag and these attributes (class_ matches one class)."""
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if "class_" in attrs and attrs["class_"] not in (node.attrs.get("class") or "").split():
                continue
            if any(node.attrs.get(k) != v for k, v in attrs.items() if k != "class_"):
                continue
            found.append(node)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        (node,) = self.find_all(tag, **attrs)
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """The page as a tree; fails on mismatched tags, so broken markup cannot pass."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def text_of(html: str) -> str:
    return parse(html).text()


@pytest.fixture
def site_app(tmp_path: Path) -> Iterator[Any]:
    """An app context on a throwaway database: rendering never touches it."""
    app = create_app(
        {**_config("sqlite://"), "SITE_URL": "https://example.org/", "SITE_TITLE": "Honest"},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        yield app


def render(content: dict[str, Any], **options: Any) -> str:
    kwargs: dict[str, Any] = {
        "author_name": "Ada Lovelace",
        "published_at": PUBLISHED,
        "updated_at": PUBLISHED,
        **options,
    }
    return render_post_page(content, render_content(content), **kwargs)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_entries_appear_in_rank_order_with_their_names(site_app, name):
    content = sample(name)
    page = parse(render(content))
    ranking = page.one("ol", class_="entries")
    items = [n for n in ranking.children if isinstance(n, Node)]
    expected = sorted(content["entries"], key=lambda e: e["rank"])
    assert [li.attrs["value"] for li in items] == [str(e["rank"]) for e in expected]
    for li, entry in zip(items, expected, strict=True):
        article = li.one("article")
        assert article.attrs["id"] == f"entry-{entry['rank']}"
        assert article.one("h2").text() == f"#{entry['rank']} {entry['name']}"
        if entry.get("url"):
            link = article.one("h2").one("a")
            assert link.attrs["href"] == entry["url"]
            assert set((link.attrs["rel"] or "").split()) >= {"nofollow", "noopener"}
        if entry.get("best_for"):
            assert f"Best for: {entry['best_for']}" in article.text()


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_criterion_note_is_labelled_with_its_criterion(site_app, name):
    content = sample(name)
    rendered = render_content(content)
    page = parse(render(content))
    for entry, entry_html in zip(content["entries"], rendered["entries"], strict=True):
        notes = page.one("article", id=f"entry-{entry['rank']}").one("dl", class_="notes")
        labels = [n.text() for n in notes.find_all("dt")]
        values = [n.text() for n in notes.find_all("dd")]
        assert labels == [note["criterion"] for note in entry["criteria"]]
        # A scored note leads with its score on the post's scale.
        scores = [
            f"Score: {note['score']:g} of {content['scale']['max']:g} " if "score" in note else ""
            for note in entry["criteria"]
        ]
        # Its evidence follows it, each link shown by its address.
        evidence = [
            " Evidence: " + ", ".join(short_address(link) for link in note["evidence"])
            if note.get("evidence")
            else ""
            for note in entry["criteria"]
        ]
        # (The parser's text puts a space before each comma between links.)
        assert [value.replace(" , ", ", ") for value in values] == [
            score + (text_of(html) or "No note yet.") + shown
            for score, html, shown in zip(scores, entry_html["criteria"], evidence, strict=True)
        ]
        for note, dd in zip(entry["criteria"], notes.find_all("dd"), strict=True):
            if note.get("evidence"):
                hrefs = [a.attrs["href"] for a in dd.one("p", class_="evidence").find_all("a")]
                assert hrefs == note["evidence"]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_each_pick_else_sits_under_its_heading(site_app, name):
    content = sample(name)
    rendered = render_content(content)
    page = parse(render(content))
    for entry, entry_html in zip(content["entries"], rendered["entries"], strict=True):
        block = page.one("article", id=f"entry-{entry['rank']}").one(class_="pick-else")
        heading = block.one("h3")
        assert heading.text() == "When to pick something else"
        assert heading.attrs["id"] == f"entry-{entry['rank']}-pick-else"
        assert text_of(entry_html["pick_else"]) in block.text()


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_how_it_was_judged_shows_the_criteria_and_the_bias(site_app, name):
    content = sample(name)
    rendered = render_content(content)
    box = parse(render(content)).one("section", class_="judging")
    assert box.one("h2").text() == "How this ranking was judged"
    criteria = box.one("dl", class_="criteria")
    assert [n.text() for n in criteria.find_all("dt")] == [c["name"] for c in content["criteria"]]
    # A weighted criterion leads with its share of the weights.
    whole = sum(c.get("weight", 0) for c in content["criteria"])
    shares = [
        f"Weighs {100 * c['weight'] / whole:g} % of the score. " if "weight" in c else ""
        for c in content["criteria"]
    ]
    assert [n.text() for n in criteria.find_all("dd")] == [
        share + text_of(h) for share, h in zip(shares, rendered["criteria"], strict=True)
    ]
    assert [n.text() for n in box.find_all("h3")][-1] == "The author's bias"
    assert box.one(class_="bias").text() == text_of(rendered["bias"]) != ""


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_head_and_the_rest_of_the_article(site_app, name):
    content = sample(name)
    html = render(content, assets="../../assets/")
    page = parse(html)
    assert page.one("html").attrs["lang"] == "en"
    assert page.one("title").text() == f"{content['title']} · Honest"
    assert page.one("meta", name="description").attrs["content"] == content["summary"]
    assert page.one("meta", name="viewport")
    assert page.one("link", rel="canonical").attrs["href"] == (
        f"https://example.org/posts/{content['slug']}/"
    )
    feed = page.one("link", rel="alternate", type="application/atom+xml")
    assert feed.attrs["href"] == "https://example.org/feed.atom"
    assert page.one("link", rel="alternate", type="application/rss+xml").attrs["href"] == (
        "https://example.org/feed.rss"
    )
    sheets = [n.attrs["href"] for n in page.find_all("link", rel="stylesheet")]
    assert sheets == ["../../assets/vendor/pico-2.1.1/pico.min.css", "../../assets/site.css"]
    article = page.one("article", class_="post")
    assert article.one("h1").text() == content["title"]
    assert article.one("p", class_="lead").text() == content["summary"]
    assert "By Ada Lovelace" in article.one(class_="byline").text()
    takeaways = article.one("section", class_="takeaways")
    assert [n.text() for n in takeaways.find_all("li")] == content["takeaways"]
    faq = article.one("section", class_="faq")
    assert [n.text() for n in faq.find_all("h3")] == [f["question"] for f in content["faq"]]
    assert [n.text() for n in article.one("ul", class_="tags").find_all("li")] == content["tags"]
    assert "Preview" not in html
    assert not page.find_all(role="note")
    assert not page.find_all(id="corrections")


def test_without_a_site_url_links_are_relative_and_there_is_no_canonical(site_app):
    site_app.config["SITE_URL"] = ""
    page = parse(render(sample()))
    assert not page.find_all("link", rel="canonical")
    feed = page.one("link", rel="alternate", type="application/atom+xml")
    assert feed.attrs["href"] == "../../feed.atom"
    assert page.one("a", class_="site-title").attrs["href"] == "../../"


def test_byline_dates_and_the_update_only_when_it_differs(site_app):
    same_day = parse(render(sample(), updated_at=datetime(2026, 3, 1, 17, 0)))
    byline = same_day.one(class_="byline")
    assert byline.one("time").attrs["datetime"] == "2026-03-01T09:00:00+00:00"
    assert "Published 1 March 2026" in byline.text()
    assert "Updated" not in byline.text()

    later = parse(render(sample(), updated_at=datetime(2026, 4, 2, 8, 0))).one(class_="byline")
    assert [t.attrs["datetime"] for t in later.find_all("time")] == [
        "2026-03-01T09:00:00+00:00",
        "2026-04-02T08:00:00+00:00",
    ]
    assert "Updated 2 April 2026" in later.text()


def test_hostile_plain_text_comes_out_escaped(site_app):
    content = sample()
    content["title"] = f"Best {HOSTILE} tools"
    content["summary"] = HOSTILE
    content["entries"][0]["name"] = HOSTILE
    content["entries"][0]["best_for"] = HOSTILE
    content["entries"][0]["criteria"][0]["criterion"] = HOSTILE
    content["criteria"][0]["name"] = HOSTILE
    content["takeaways"] = [HOSTILE]
    content["faq"][0]["question"] = HOSTILE
    content["tags"] = [HOSTILE]
    html = render(content, author_name=HOSTILE)
    assert HOSTILE not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10
    page = parse(html)
    assert [n.attrs for n in page.find_all("script")] == [{"type": "application/ld+json"}] * 2
    assert page.one("h1").text() == content["title"]
    assert page.one("article", id="entry-1").one("h2").text() == f"#1 {HOSTILE}"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_json_ld_is_an_item_list_of_the_entries(site_app, name):
    content = sample(name)
    script, article = parse(render(content)).find_all("script", type="application/ld+json")
    assert json.loads(article.text())["@type"] == "Article"
    assert json.loads(article.text())["headline"] == content["title"][:110]
    data = json.loads(script.text())
    assert data["@type"] == "ItemList"
    assert data["name"] == content["title"]
    ranked = sorted(content["entries"], key=lambda e: e["rank"])
    assert [(i["@type"], i["position"], i["name"]) for i in data["itemListElement"]] == [
        ("ListItem", e["rank"], e["name"]) for e in ranked
    ]
    for item, entry in zip(data["itemListElement"], ranked, strict=True):
        assert item["url"] == entry.get("url") or item["url"].endswith(f"#entry-{entry['rank']}")


def test_json_ld_cannot_be_broken_out_of(site_app):
    content = sample()
    name = "</script><script>alert(1)</script><!-- \"' &"
    content["entries"][1]["name"] = name
    content["title"] = "</SCRIPT >" + name
    html = render(content)
    page = parse(html)
    script, article = page.find_all("script")
    data = json.loads(script.text())
    assert data["name"] == content["title"]
    assert json.loads(article.text())["headline"] == content["title"]
    assert data["itemListElement"][1]["name"] == name
    assert len(data["itemListElement"]) == len(content["entries"])
    assert html.lower().count("</script") == 2


def test_entries_out_of_order_keep_their_own_notes(site_app):
    content = sample()
    content["entries"].reverse()
    page = parse(render(content, preview=True))
    ids = [a.attrs["id"] for a in page.one("ol", class_="entries").find_all("article")]
    assert ids == [f"entry-{n}" for n in range(1, len(content["entries"]) + 1)]
    first = min(content["entries"], key=lambda e: e["rank"])
    verdict = page.one("article", id="entry-1").one(class_="verdict").text()
    assert verdict == text_of(render_content({"entries": [first]})["entries"][0]["verdict"])


def test_preview_shows_a_banner(site_app):
    page = parse(render(sample(), preview=True, published_at=None, updated_at=None))
    banner = page.one("aside", class_="preview-banner")
    assert "Preview — not published" in banner.text()
    assert not page.one(class_="byline").find_all("time")


def test_a_preview_of_a_revision_never_published_says_nothing_of_updates(site_app):
    # The history's preview passes the revision's own date; a page never published was never
    # updated.
    page = parse(
        render(sample(), preview=True, published_at=None, updated_at=datetime(2026, 4, 2, 8, 0))
    )
    byline = page.one(class_="byline")
    assert "Updated" not in byline.text()
    assert not byline.find_all("time")
    assert not page.find_all("meta", property="article:modified_time")


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_the_answer_comes_first_then_the_judging_then_the_entries(site_app, name):
    content = sample(name)
    article = parse(render(content)).one("article", class_="post")
    order = [
        (node.tag, node.attrs.get("class"))
        for node in article.children
        if isinstance(node, Node) and node.tag in ("header", "section", "ol")
    ]
    # A scored post says, after its weights, under which weightings other entries win.
    scored = any("weight" in criterion for criterion in content["criteria"])
    assert order[: 5 + scored] == [
        ("header", None),
        ("section", "takeaways"),
        ("section", "glance"),
        ("section", "judging"),
        *([("section", "choose")] if scored else []),
        ("ol", "entries"),
    ]
    # The picks at a glance: every entry in rank order, each linking to its card.
    entries = sorted(content["entries"], key=lambda e: e["rank"])
    picks = article.one("section", class_="glance").find_all("li")
    assert [li.one("a").attrs["href"] for li in picks] == [f"#entry-{e['rank']}" for e in entries]
    for li, entry in zip(picks, entries, strict=True):
        assert li.one("a").text() == f"#{entry['rank']} {entry['name']}"
        if entry.get("best_for"):
            assert li.text().endswith(f"best for {entry['best_for']}")
    for entry in entries:
        assert article.find_all(id=f"entry-{entry['rank']}")


def test_datetimes_are_written_to_the_second(site_app):
    moment = datetime(2026, 3, 1, 9, 0, 5, 594583)
    page = parse(render(sample(), published_at=moment, updated_at=moment.replace(day=9)))
    assert [t.attrs["datetime"] for t in page.find_all("time")] == [
        "2026-03-01T09:00:05+00:00",
        "2026-03-09T09:00:05+00:00",
    ]
    article_ld = json.loads(page.find_all("script", type="application/ld+json")[1].text())
    assert article_ld["datePublished"] == "2026-03-01T09:00:05+00:00"


def test_an_entry_address_is_written_percent_encoded(site_app):
    content = sample()
    content["entries"][0]["url"] = 'https://example.org/ä?q="><b>&x=`y`'
    page = parse(render(content))
    rank = content["entries"][0]["rank"]
    link = page.one("article", id=f"entry-{rank}").one("h2").one("a")
    assert link.attrs["href"] == "https://example.org/%C3%A4?q=%22%3E%3Cb%3E&x=%60y%60"


def test_corrections_are_listed_with_their_dates(site_app):
    corrections = [
        Correction(datetime(2026, 3, 5, 14, 30), "<p>The <strong>price</strong> was wrong.</p>"),
        Correction(datetime(2026, 4, 1, 8, 0), "<p>Second fix.</p>"),
    ]
    page = parse(render(sample(), corrections=corrections))
    section = page.one("section", id="corrections")
    assert section.one("h2").text() == "Corrections"
    items = section.find_all("li")
    assert [i.one("time").attrs["datetime"] for i in items] == [
        "2026-03-05T14:30:00+00:00",
        "2026-04-01T08:00:00+00:00",
    ]
    assert items[0].text() == "5 March 2026 The price was wrong."
    assert items[0].one("strong").text() == "price"
    assert page.one(class_="byline").one("a").attrs["href"] == "#corrections"


def test_the_pending_correction_shows_only_in_a_preview(site_app):
    content = sample()
    content["correction"] = "The **price** of the top pick was out of date."
    preview = parse(render(content, preview=True))
    (item,) = preview.one("section", id="corrections").find_all("li")
    assert item.text() == (
        "When this version is published The price of the top pick was out of date."
    )
    assert not item.find_all("time")

    published = parse(render(content))
    assert not published.find_all(id="corrections")
    assert "out of date" not in published.text()


def test_a_scored_post_shows_its_weights_scores_and_who_wins_under_which_weighting(site_app):
    content = sample("backend-frameworks-2026")
    page = parse(render(content))
    judging = page.one("section", class_="judging")
    assert [p.text() for p in judging.find_all("p", class_="weight")] == [
        "Weighs 25 % of the score.",
        "Weighs 40 % of the score.",
        "Weighs 35 % of the score.",
    ]
    choose = page.one("section", class_="choose")
    wins = [li.text() for li in choose.find_all("li")]
    assert wins[0] == "#1 Django ranks first under the author's weights."
    assert wins[1].startswith("#2 Ruby on Rails ranks first when ")
    assert "Ownership weighs at least 50 %" in wins[1]
    assert len(wins) == 3  # Spring Boot can never be first: it is not listed
    django = page.one("article", id="entry-1")
    assert django.one("p", class_="total").text() == "Weighted score: 8.3 of 10"
    assert [p.text() for p in django.find_all("p", class_="score")] == [
        "Score: 6 of 10",
        "Score: 10 of 10",
        "Score: 8 of 10",
    ]
    assert [li.text() for li in django.one("ul", class_="pros").find_all("li")] == [
        "Admin, ORM and auth included",
        "Long-term support releases",
    ]
    assert [li.text() for li in django.one("ul", class_="cons").find_all("li")] == [
        "More than a small JSON API needs"
    ]
    # Pros and cons as search engines read them, on each item of the ItemList, in rank order.
    item_list = json.loads(page.find_all("script", type="application/ld+json")[0].text())
    items = item_list["itemListElement"]
    assert [i["position"] for i in items] == [1, 2, 3, 4]
    assert [i["name"] for i in items] == ["Django", "Ruby on Rails", "FastAPI", "Spring Boot"]
    review = items[3]["item"]["review"]
    assert [n["name"] for n in review["negativeNotes"]["itemListElement"]] == [
        "Heavy upgrades between majors",
        "A lot of configuration for a small team",
    ]
    assert review["positiveNotes"]["itemListElement"][0] == {
        "@type": "ListItem",
        "position": 1,
        "name": "Fast once warm",
    }


def test_an_override_note_is_shown_on_the_entry_it_explains(site_app):
    content = sample("backend-frameworks-2026")
    first, second = content["entries"][0], content["entries"][1]
    first["rank"], second["rank"] = 2, 1  # Rails above Django, whose total is higher
    second["override"] = "Our readers run **small teams**, where conventions matter most."
    page = parse(render(content))
    note = page.one("article", id="entry-1").one("div", class_="override")
    assert note.one("h3").text() == "Why it ranks here despite its score"
    assert text_of(render_content(content)["entries"][1]["override"]) in note.text()
    assert note.find_all("strong")  # Markdown, rendered
    assert not page.one("article", id="entry-2").find_all("div", class_="override")


def test_a_post_without_scores_shows_no_weights_totals_or_choices(site_app):
    page = parse(render(sample()))
    for class_ in ("weight", "score", "total"):
        assert not page.find_all("p", class_=class_)
    assert not page.find_all("section", class_="choose")
    item_list = json.loads(page.find_all("script", type="application/ld+json")[0].text())
    assert all("item" not in i for i in item_list["itemListElement"])


def test_a_disclosure_is_shown_above_the_first_entry_and_paid_links_say_so(site_app):
    content = sample("backend-frameworks-2026")
    content["entries"][3]["link"] = "sponsored"
    page = parse(render(content))
    article = page.one("article", class_="post")
    tops = [n for n in article.children if isinstance(n, Node)]
    box = article.one("div", class_="disclosure")
    # Right under the title, before the takeaways and every entry.
    assert tops.index(box) == 1 and tops[0].tag == "header"
    assert box.one("h2").text() == "Disclosure"
    assert "affiliate link" in box.text()
    intro_link = page.one("div", class_="intro").one("a")
    assert intro_link.attrs["rel"] == "sponsored nofollow noopener noreferrer"
    spring = page.one("article", id="entry-4").one("h2").one("a")
    assert spring.attrs["rel"] == "sponsored noopener"
    django = page.one("article", id="entry-1").one("h2").one("a")
    assert django.attrs["rel"] == "nofollow noopener"
