"""Every page of a built demo site, hostile content included, is valid HTML by the Nu HTML
Checker (vnu-jar from the npm registry, installed by scripts/test with ``npm ci``), run once
over the whole site on the machine's Java."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from editorial.domain.markdown import render_content
from editorial.site.post_page import render_post_page
from tests.conftest import need_service
from tests.site.conftest import hostile_content

pytestmark = pytest.mark.publisher

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _vnu() -> list[str]:
    java = shutil.which("java")
    if java is None:
        need_service("java", "the Nu HTML Checker runs on Java (Debian: default-jre-headless)")
    if not VNU.is_file():
        need_service("vnu.jar", f"{VNU} is missing: scripts/test installs it (npm ci)")
    return [java, "-jar", str(VNU)]


def test_every_page_of_the_site_is_valid_html(demo_site, tmp_path):
    checker = _vnu()
    # The desk's preview of a never-published draft uses the same template, with its banner.
    previews = tmp_path / "previews"
    previews.mkdir()
    content = hostile_content()
    page = render_post_page(
        content,
        render_content(content),
        author_name="Ada <b>Lovelace</b>",
        published_at=None,
        updated_at=None,
        preview=True,
        assets="/static/",
    )
    (previews / "preview.html").write_text(page)
    pages = demo_site.html_pages()
    # Posts (one retracted), home, tags: hostile ones too.
    assert len(pages) >= 12, pages

    result = subprocess.run(  # noqa: S603 - our own command line
        [
            *checker,
            "--errors-only",
            "--format",
            "json",
            "--skip-non-html",
            str(demo_site.root.resolve()),
            str(previews),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = [
        f"{m['url'].rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']} "
        f"[{m.get('extract', '').strip()}]"
        for m in messages
    ]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stderr
