"""RFC 9457 problem details: how the API says no, for its own refusals and for every HTTP error
under /api/ (create_app hands ``problem`` to the app-wide error pages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import jsonify

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
}


def problem(
    status: int, detail: str = "", errors: Sequence[tuple[str, str]] = (), **extra: Any
) -> Any:
    """An RFC 9457 problem details response; ``errors`` are (field path, message) pairs."""
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail or TITLES.get(status, ""),
        "errors": [{"field": f, "message": m} for f, m in errors],
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="editorial"'
    return response
