"""The public site's pages, rendered with only an app context (the publisher runs in a task)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask import current_app
from slugify import slugify

from editorial.domain.markdown import render_markdown


@lru_cache(maxsize=4096)
def tag_slug(name: str) -> str:
    """A tag's address on the site: "Web frameworks" -> "web-frameworks"."""
    return slugify(name, max_length=100) or "tag"


@dataclass(frozen=True)
class Correction:
    """A public note on what changed in a published post and why."""

    at: datetime | None  # when the corrected version went live; None in a preview
    html: str  # sanitised HTML of the note


def render_post_page(
    content: dict[str, Any],
    rendered: dict[str, Any],
    *,
    author_name: str,
    published_at: datetime | None,
    updated_at: datetime | None,
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
    listed = [Correction(_utc(c.at), c.html) for c in corrections]
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
        published_at=_utc(published_at),
        updated_at=_utc(updated_at),
        corrections=listed,
        preview=preview,
        json_ld=_item_list(content, [entry for entry, _ in entries], canonical),
        article_ld=_article(content, author_name, published_at, updated_at, canonical),
        choose=[(e["best_for"], e) for e, _ in entries if e.get("best_for")],
    )


def render_site(name: str, **context: Any) -> str:
    """Render a public-site template with only what it is given: no request, no user, no
    context processors (a task renders these, and it is faster for thousands of pages)."""
    env = current_app.jinja_env
    return env.get_template(name).render(config=current_app.config, **context)


def _article(
    content: dict[str, Any],
    author_name: str,
    published_at: datetime | None,
    updated_at: datetime | None,
    canonical: str | None,
) -> dict[str, Any]:
    # schema.org Article for the post itself (the ItemList above is its ranking).
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": content["title"][:110],
        "description": content.get("summary", ""),
        "author": {"@type": "Person", "name": author_name},
        "keywords": ", ".join(content.get("tags", [])),
    }
    if published_at:
        data["datePublished"] = _utc(published_at).isoformat()
        data["dateModified"] = _utc(updated_at or published_at).isoformat()
    if canonical:
        data["url"] = data["mainEntityOfPage"] = canonical
    return data


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every *_at in this codebase is UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _item_list(
    content: dict[str, Any], entries: list[dict[str, Any]], canonical: str | None
) -> dict[str, Any]:
    # schema.org ItemList; an entry without a web address points at its place on this page.
    items = []
    for entry in entries:
        item: dict[str, Any] = {
            "@type": "ListItem",
            "position": entry["rank"],
            "name": entry["name"],
        }
        if url := entry.get("url") or (canonical and f"{canonical}#entry-{entry['rank']}"):
            item["url"] = url
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
