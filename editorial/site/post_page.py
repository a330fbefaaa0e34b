"""A post's public page, exactly as the site publishes it and the desk previews it: its
entries in rank order, its score table and who wins under which weighting, its corrections,
and its schema.org JSON-LD (an ItemList whose positions are the ranks, with pros and cons as
positiveNotes / negativeNotes, and an Article)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app

from editorial.domain import weighting
from editorial.domain.interchange import parse_post
from editorial.domain.markdown import render_markdown
from editorial.models import Post
from editorial.site.pages import (
    Correction,
    corrections_by_post,
    public_url,
    render_site,
    stamp,
    utc,
)


def render_post_page(
    content: dict[str, Any],
    rendered: dict[str, Any],
    *,
    author_name: str,
    published_at: datetime | None,
    updated_at: datetime | None,
    reviewed_at: datetime | None = None,
    corrections: Sequence[Correction] = (),
    preview: bool = False,
    assets: str = "",
    root: str | None = None,
    slug: str | None = None,
) -> str:
    """The public page of one post, exactly as the site publishes it (preview adds a banner).

    ``root`` is the way from the page to the site's top (the publisher passes "../../", so the
    site works wherever it is served); ``slug`` is the page's address when it differs from the
    content's (a published post keeps its first one).
    """
    # SITE_URL always ends in "/" once configured; "" (or just "/") means no public address, and
    # then every link to the rest of the site is relative to posts/<slug>/index.html.
    site_url = str(current_app.config.get("SITE_URL") or "").rstrip("/")
    if root is None:
        root = f"{site_url}/" if site_url else "../../"
    slug = slug or content["slug"]
    canonical = f"{site_url}/posts/{slug}/" if site_url else None
    listed = [Correction(utc(c.at), c.html) for c in corrections]
    # The pending note goes live with this version; render_content renders it now (the fallback
    # serves a `rendered` made before it did).
    note = rendered.get("correction")
    if note is None:
        note = render_markdown(content.get("correction"))
    if preview and note:
        listed.append(Correction(None, note))
    # Drafts may hold ranks out of order; pair each entry with its HTML before sorting.
    entries = sorted(
        zip(content.get("entries", []), rendered["entries"], strict=True),
        key=lambda pair: pair[0]["rank"],
    )
    return render_site(
        "site/post.html",
        site_title=current_app.config["SITE_TITLE"],
        root=root,
        canonical=canonical,
        assets=assets,
        post=content,
        html=rendered,
        criteria=list(zip(content.get("criteria", []), rendered["criteria"], strict=True)),
        entries=entries,
        faq=list(zip(content.get("faq", []), rendered["faq"], strict=True)),
        author_name=author_name,
        published_at=utc(published_at),
        updated_at=utc(updated_at),
        reviewed_at=utc(reviewed_at),
        corrections=listed,
        preview=preview,
        scoring=scoring(content),
        json_ld=_item_list(content, [entry for entry, _ in entries], canonical, author_name),
        article_ld=_article(content, author_name, published_at, updated_at, canonical, reviewed_at),
    )


def corrections_of(post: Post) -> list[Correction]:
    """The correction notes of the versions of ``post`` that went live, oldest first."""
    return corrections_by_post([post.id]).get(post.id, [])


def post_page(post: Post) -> bytes:
    """The post's public page, or the retraction notice once it is off the site."""
    if post.published_revision_id is None:
        html = render_site(
            "site/retracted.html",
            site_title=current_app.config["SITE_TITLE"],
            root="../../",
            assets="../../assets/",
            title=post.title,
        )
        return html.encode()
    revision = post.published_revision
    html = render_post_page(
        revision.content,
        {**revision.rendered, "correction": ""},  # notes show as corrections, with their date
        author_name=post.author.display_name,
        published_at=post.published_at,
        updated_at=post.live_updated_at,
        reviewed_at=post.last_reviewed_at,
        corrections=corrections_of(post),
        assets="../../assets/",
        root="../../",
        slug=post.public_slug,
    )
    return html.encode()


def _article(
    content: dict[str, Any],
    author_name: str,
    published_at: datetime | None,
    updated_at: datetime | None,
    canonical: str | None,
    reviewed_at: datetime | None = None,
) -> dict[str, Any]:
    # schema.org Article for the post itself (the ItemList above is its ranking). dateModified
    # moves only with the content; a review, even of the same text, is the page's lastReviewed.
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": content["title"][:110],
        "description": content.get("summary", ""),
        "author": {"@type": "Person", "name": author_name},
        "keywords": ", ".join(content.get("tags", [])),
    }
    if published_at:
        data["datePublished"] = stamp(published_at)
        data["dateModified"] = stamp(updated_at or published_at)
    if canonical:
        data["url"] = data["mainEntityOfPage"] = canonical
        if reviewed_at and published_at:
            data["mainEntityOfPage"] = {
                "@type": "WebPage",
                "@id": canonical,
                "lastReviewed": stamp(reviewed_at),
            }
    return data


def scoring(content: dict[str, Any]) -> dict[str, Any] | None:
    """What a scored post shows: each weighted criterion's share, each entry's scores and
    weighted total by rank, and the weightings under which its top entries rank first. None for
    a post without weights or scores (most posts: they pay nothing for it)."""
    criteria, entries = content.get("criteria", []), content.get("entries", [])
    if not any("weight" in c for c in criteria) and not any(
        "score" in n for e in entries for n in e.get("criteria", [])
    ):
        return None
    post = parse_post(content)
    totals = weighting.totals(post)
    names = [name for name, _ in weighting.weighted(post)]
    by_rank = {e.rank: weighting.scores(e) for e in post.entries}
    return {
        "scale": post.scale,
        "shares": weighting.percentages(post),
        # Each entry's scores on the weighted criteria, in their order: the score table, and
        # what the reader's own weighting recomputes from.
        "matrix": {}
        if totals is None
        else {rank: [given[weighting.key(n)] for n in names] for rank, given in by_rank.items()},
        "totals": {}
        if totals is None
        else {e.rank: t for e, t in zip(post.entries, totals, strict=True)},
        "wins": [win for win in weighting.who_wins(post, limit=3) if win.possible],
    }


def _notes(texts: list[str]) -> dict[str, Any]:
    return {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": text} for n, text in enumerate(texts, 1)
        ],
    }


def _item_list(
    content: dict[str, Any],
    entries: list[dict[str, Any]],
    canonical: str | None,
    author_name: str = "",
) -> dict[str, Any]:
    # schema.org ItemList; an entry without a web address points at its place on this page.
    # Pros and cons go on the entry's review as positiveNotes / negativeNotes, as search
    # engines read them on editorial reviews.
    items = []
    for entry in entries:
        item: dict[str, Any] = {
            "@type": "ListItem",
            "position": entry["rank"],
            "name": entry["name"],
        }
        if url := entry.get("url") or (canonical and f"{canonical}#entry-{entry['rank']}"):
            item["url"] = public_url(url)
        if entry.get("pros") or entry.get("cons"):
            review: dict[str, Any] = {"@type": "Review", "name": content["title"]}
            if author_name:
                review["author"] = {"@type": "Person", "name": author_name}
            if entry.get("pros"):
                review["positiveNotes"] = _notes(entry["pros"])
            if entry.get("cons"):
                review["negativeNotes"] = _notes(entry["cons"])
            item["item"] = {"@type": "Product", "name": entry["name"], "review": review}
        items.append(item)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": content["title"],
        "description": content.get("summary", ""),
        "itemListOrder": "https://schema.org/ItemListOrderAscending",
        "numberOfItems": len(items),
        "itemListElement": items,
    }
    if canonical:
        data["url"] = canonical
    return data
