"""The public site's pages, rendered with only an app context (the publisher runs in a task):
the home page, the archive pages and the tag pages, and what every page uses (a post's own
page, the desk's preview too, is in post_page.py).

Layout of SITE_DIR: ``index.html`` (the newest posts), ``page/<n>/`` (archive pages, numbered
from the oldest so that they never shift when a post is added, none repeating the home page),
``posts/<slug>/``, ``tags/<slug>/`` (with its own feeds), ``feed.rss``, ``feed.atom``,
``feed.json``, ``sitemap.xml`` (an index of ``sitemaps/*.xml``), ``robots.txt`` and ``assets/``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from werkzeug.urls import iri_to_uri

from editorial.domain import disclosure
from editorial.models import Post, PostTag, Publication, Revision, db

PAGE_SIZE = 20
HOME_BLOCKS = 2  # the home page shows the newest blocks of PAGE_SIZE; the archive the rest


@dataclass(frozen=True)
class Correction:
    """A public note on what changed in a published post and why."""

    at: datetime | None  # when the corrected version went live; None in a preview
    html: str  # sanitised HTML of the note


def render_site(name: str, **context: Any) -> str:
    """Render a public-site template with only what it is given: no request, no user, no
    context processors (a task renders these, and it is faster for thousands of pages)."""
    env = current_app.jinja_env
    return env.get_template(name).render(
        config=current_app.config,
        url=public_url,
        stamp=stamp,
        number=number,
        paid=disclosure.is_paid,
        address=short_address,
        **context,
    )


def public_url(address: str | None) -> str:
    """An address as a valid URL: what a writer typed (spaces, quotes, "<", non-ASCII) is
    percent-encoded, and an escape already there is kept."""
    return iri_to_uri(address or "")


def short_address(address: str) -> str:
    """A link's text when the writer gave only its address: host and path, shortened."""
    parts = urlsplit(address)
    shown = (parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")
    return shown if len(shown) <= 48 else shown[:47] + "…"


def number(value: float) -> str:
    """A score, a total or a share as a reader writes it: 7, 7.5, 7.83."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def stamp(moment: datetime) -> str:
    """A moment for a ``datetime`` attribute or a date in JSON-LD: UTC to the second (HTML
    allows at most three digits of a second's fraction)."""
    return utc(moment).isoformat(timespec="seconds")


def utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every *_at in this codebase is UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def site_url() -> str:
    """The public site's address, ending in "/" ("" when none is configured)."""
    url = str(current_app.config.get("SITE_URL") or "").rstrip("/")
    return f"{url}/" if url else ""


def live() -> sa.Select[Any]:
    """Posts on the site: those with a live version (their content is not read: a list shows
    what ``cards`` keeps of it, a feed what ``feeds.feed_entries`` keeps)."""
    return sa.select(Post).where(Post.published_revision_id.is_not(None))


def corrections_by_post(post_ids: Iterable[int]) -> dict[int, list[Correction]]:
    """The correction notes of several posts (one query), oldest first, by post id."""
    rows = db.session.execute(
        sa.select(Publication.post_id, Publication.published_at, Publication.correction)
        .where(Publication.post_id.in_(list(post_ids)), Publication.correction.is_not(None))
        .order_by(Publication.published_at, Publication.id)
    )
    notes: dict[int, list[Correction]] = {}
    for row in rows:
        notes.setdefault(row.post_id, []).append(Correction(row.published_at, row.correction))
    return notes


class _Texts:
    """What a card shows of a live version (title, summary, number of entries), kept per
    process by the version: a revision never changes (its rows refuse updates), and the
    post's feed id (a fresh UUID at its first publication) tells apart two databases that
    number their revisions alike. The least recently used dropped past ``size``."""

    def __init__(self, size: int = 4096):
        self._texts: OrderedDict[tuple[str | None, int], tuple[str, str, int]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # a worker may run tasks in threads

    def get(self, key: tuple[str | None, int]) -> tuple[str, str, int] | None:
        with self._lock:
            texts = self._texts.get(key)
            if texts is not None:
                self._texts.move_to_end(key)
            return texts

    def put(self, key: tuple[str | None, int], texts: tuple[str, str, int]) -> None:
        with self._lock:
            self._texts[key] = texts
            while len(self._texts) > self._size:
                self._texts.popitem(last=False)


def _texts_of(content: dict[str, Any]) -> tuple[str, str, int]:
    return content["title"], content["summary"], len(content.get("entries", []))


def card_texts(posts: Iterable[Post]) -> dict[int, tuple[str, str, int]]:
    """Title, summary and number of entries of live ``posts``' versions, by post id: those
    this process has read before from memory, the others' contents in one query."""
    kept: _Texts = current_app.extensions.setdefault("site_card_texts", _Texts())
    texts: dict[int, tuple[str, str, int]] = {}
    missing: dict[int, list[Post]] = {}
    for post in posts:
        found = kept.get((post.feed_id, post.published_revision_id))
        if found is None:
            missing.setdefault(post.published_revision_id, []).append(post)
        else:
            texts[post.id] = found
    # The versions the session holds already (the post being published) are not read again.
    held = [version for group in missing.values() if (version := loaded_version(group[0]))]
    rows = [(version.id, version.content) for version in held]
    if wanted := set(missing) - {version.id for version in held}:
        query = sa.select(Revision.id, Revision.content).where(Revision.id.in_(wanted))
        rows += db.session.execute(query).all()
    for revision_id, content in rows:
        found = _texts_of(content)
        for post in missing[revision_id]:
            kept.put((post.feed_id, revision_id), found)
            texts[post.id] = found
    return texts


def loaded_version(post: Post) -> Revision | None:
    """The post's live version if the session holds it already (None if not, never a query)."""
    version = sa.inspect(post).attrs.published_revision.loaded_value
    if isinstance(version, Revision) and version.id == post.published_revision_id:
        return version
    return None


def cards(posts: list[Post]) -> list[dict[str, Any]]:
    """What a list page shows of each of ``posts``."""
    texts = card_texts(posts)
    return [_card(post, texts[post.id]) for post in posts]


def _card(post: Post, texts: tuple[str, str, int]) -> dict[str, Any]:
    title, summary, entries = texts
    return {
        "title": title,
        "summary": summary,
        "slug": post.public_slug,
        "author": post.author.display_name,
        "published_at": post.published_at,
        "updated_at": post.live_updated_at,
        "entries": entries,
    }


def _list_page(
    listed: Iterable[dict[str, Any]],
    *,
    root: str,
    heading: str,
    pager: dict[str, Any],
    tag_feeds: bool = False,
) -> bytes:
    html = render_site(
        "site/index.html",
        site_title=current_app.config["SITE_TITLE"],
        root=root,
        assets=f"{root}assets/",
        cards=list(listed),
        heading=heading,
        tag_feeds=tag_feeds,
        pager=pager,
    )
    return html.encode()


def last_seq() -> int:
    """The site order of the newest post ever published (0 before the first)."""
    return db.session.scalar(sa.select(sa.func.max(Post.site_seq))) or 0


def archived_pages(blocks: int | None = None) -> int:
    """How many archive pages there are: every block of PAGE_SIZE posts in site order but the
    two newest, which the home page shows (``blocks``: how many blocks the order has reached)."""
    blocks = -(-last_seq() // PAGE_SIZE) if blocks is None else blocks
    return max(blocks - HOME_BLOCKS, 0)


def home_posts(archived: int | None = None) -> list[Post]:
    """The live posts of the two newest blocks (from 1 to 2 × PAGE_SIZE of them, none of them
    on an archive page), newest first (``archived`` as ``archived_pages()`` says)."""
    archived = archived_pages() if archived is None else archived
    return db.session.scalars(
        live().where(Post.site_seq > archived * PAGE_SIZE).order_by(Post.site_seq.desc())
    ).all()


def home_page(posts: list[Post] | None = None, archived: int | None = None) -> bytes:
    """The home page: ``home_posts()`` (or ``posts``, as it gave them), and the way to the
    archive when an older post is live."""
    archived = archived_pages() if archived is None else archived
    posts = home_posts(archived) if posts is None else posts
    older = None
    if archived:
        seq = db.session.scalar(
            sa.select(sa.func.max(Post.site_seq)).where(
                Post.published_revision_id.is_not(None), Post.site_seq <= archived * PAGE_SIZE
            )
        )
        older = f"page/{(seq - 1) // PAGE_SIZE + 1}/" if seq else None
    pager = {"older": older, "newer": None}
    return _list_page(cards(posts), root="", heading="Latest rankings", pager=pager)


def archive_page(
    number: int, listed: list[dict[str, Any]] | None = None, archived: int | None = None
) -> bytes:
    """Archive page ``number`` (of ``archived``): the posts first published in that block of
    PAGE_SIZE.

    It says nothing about the pages after it but whether there is one, so adding a post
    rewrites no archive page but when it starts a new block: then the block that leaves the
    home page becomes a page, and the page before it links to it instead of to the home page.
    """
    if listed is None:
        low, high = (number - 1) * PAGE_SIZE + 1, number * PAGE_SIZE
        posts = db.session.scalars(
            live().where(Post.site_seq.between(low, high)).order_by(Post.site_seq.desc())
        ).all()
        listed = cards(posts)
    archived = archived if archived is not None else archived_pages()
    pager = {
        "older": f"../{number - 1}/" if number > 1 else None,
        "newer": f"../{number + 1}/" if number < archived else "../../",
    }
    heading = f"Archive, page {number}"
    return _list_page(listed, root="../../", heading=heading, pager=pager)


def tag_posts(slug: str, limit: int | None = None) -> list[Post]:
    """The live posts tagged ``slug``, newest first."""
    query = live().join(PostTag).where(PostTag.slug == slug).order_by(PostTag.site_seq.desc())
    return db.session.scalars(query.limit(limit) if limit else query).all()


def tag_name(slug: str) -> str | None:
    """How tag ``slug`` is written (of its spellings, the first in sort order)."""
    return db.session.scalar(sa.select(sa.func.min(PostTag.name)).where(PostTag.slug == slug))


def tag_names(slugs: Iterable[str]) -> dict[str, str]:
    """How each tag of ``slugs`` with a post is written, as ``tag_name`` says (one query)."""
    slugs = list(slugs)
    if not slugs:
        return {}
    query = (
        sa.select(PostTag.slug, sa.func.min(PostTag.name))
        .where(PostTag.slug.in_(slugs))
        .group_by(PostTag.slug)
    )
    return {slug: name for slug, name in db.session.execute(query)}


def tag_page(slug: str, name: str, posts: list[Post] | None = None) -> bytes | None:
    """A tag's page: its newest posts (``posts``: the first PAGE_SIZE of them, as
    ``tag_posts`` gives them); None once no live post has the tag."""
    posts = tag_posts(slug, PAGE_SIZE) if posts is None else posts[:PAGE_SIZE]
    if not posts:
        return None
    pager = {"older": None, "newer": None}
    heading = f"Tagged “{name}”"
    return _list_page(cards(posts), root="../../", heading=heading, pager=pager, tag_feeds=True)
