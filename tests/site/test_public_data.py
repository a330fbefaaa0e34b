"""No personal data on the public site: authors appear by their display names only, and no
page, feed or sitemap holds an e-mail address or a Python object's repr."""

from __future__ import annotations

import lxml.html
import pytest

from editorial.models import User, db
from tests.helpers.publisher import files

pytestmark = pytest.mark.publisher

REPRS = ("<User", "&lt;User", "object at 0x", "<Post", "&lt;Post")


def _leaks(site) -> list[str]:
    emails = db.session.scalars(db.select(User.email)).all()
    assert len(emails) >= 4
    found = []
    for name, data in files(site).items():
        text = data.decode("utf-8", errors="replace")
        found += [f"{name}: {email}" for email in emails if email.lower() in text.lower()]
        found += [f"{name}: {marker}" for marker in REPRS if marker in text]
    return found


def test_no_public_file_holds_an_e_mail_address_or_a_python_repr(demo_site, runner):
    assert len(files(demo_site.root)) > 20
    assert _leaks(demo_site.root) == []
    # The whole rebuild writes the same lists another way.
    result = runner.invoke(args=["site", "rebuild"])
    assert result.exit_code == 0, result.output
    assert _leaks(demo_site.root) == []


def test_a_tag_page_shows_each_post_with_its_summary_and_its_author_by_name(demo_site):
    page = lxml.html.fromstring((demo_site.root / "tags" / "python" / "index.html").read_bytes())
    cards = {
        card.findtext(".//h2/a"): (
            card.findtext("p"),
            " ".join(card.find("p[@class='byline']").text_content().split()),
        )
        for card in page.xpath("//article[@class='card']")
    }
    expected = {
        post.published_revision.content["title"]: (
            post.published_revision.content["summary"],
            f"by {post.author.display_name} ·",
        )
        for key, post in demo_site.posts.items()
        if key != "retracted" and "python" in post.published_revision.content["tags"]
    }
    assert len(expected) >= 2
    assert set(cards) == set(expected)
    for title, (summary, byline) in cards.items():
        assert summary == expected[title][0]
        assert expected[title][1] in byline, byline
