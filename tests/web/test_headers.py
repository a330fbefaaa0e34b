"""Security headers on every kind of response: pages, errors, the API, the served site."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path", ["/login", "/", "/no-such-page", "/api/v1/openapi.json", "/api/v1/posts", "/site/"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_load_no_inline_script(client, auth, create_user):
    create_user("writer@example.com")
    auth.login()
    for path in ("/", "/posts/new", "/account/"):
        page = client.get(path).get_data(as_text=True)
        for chunk in page.split("<script")[1:]:
            opening = chunk.split(">", 1)[0]
            assert "src=" in opening, f"an inline script on {path}: <script{opening}>"
