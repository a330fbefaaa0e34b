"""The published site, served by the desk itself on the embedded default (at /site/).

In production a web server (or a CDN) serves SITE_DIR; set SERVE_SITE=false there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, send_from_directory
from werkzeug.security import safe_join

from editorial.site.pages import public_url, site_url

bp = Blueprint("sitefiles", __name__)

TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
}


@bp.get("/site/", defaults={"path": ""})
@bp.get("/site/<path:path>")
def serve(path: str) -> Any:
    if not current_app.config.get("SERVE_SITE", True):
        abort(404)
    root = Path(current_app.config["SITE_DIR"])
    joined = safe_join(str(root), path) if path else str(root)
    if joined is None:  # ".." and the like: nothing outside SITE_DIR, not even its shape
        abort(404)
    target = Path(joined)
    if not path or path.endswith("/") or target.is_dir():
        if path and not path.endswith("/"):
            return redirect(request.path + "/", 301)
        path = f"{path}index.html"
    suffix = Path(path).suffix
    response = send_from_directory(root, path, max_age=0)
    if suffix in TYPES and (suffix != ".json" or path.endswith("feed.json")):
        response.mimetype = TYPES[suffix]
        if hubs := current_app.config.get("WEBSUB_HUBS"):
            # WebSub discovery: a feed's response names its hubs and its own address.
            self_url = public_url(f"{site_url()}{path}")
            links = [f'<{hub}>; rel="hub"' for hub in hubs] + [f'<{self_url}>; rel="self"']
            response.headers["Link"] = ", ".join(links)
    return response
