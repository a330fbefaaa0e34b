"""`editorial posts recheck`: stores current findings for every revision checked by older rules
(or never), in batches, and does nothing the second time."""

from __future__ import annotations

import sqlalchemy as sa

from editorial.domain import rules
from editorial.models import RevisionFindings, db
from tests.conftest import sample
from tests.helpers.cli import invoke


def _versions() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(RevisionFindings.rules_version).order_by(RevisionFindings.revision_id)
        )
    )


def test_recheck_recomputes_stale_and_missing_findings_then_is_idempotent(
    app, runner, create_user, create_post, monkeypatch
):
    writer = create_user()
    flawed = sample()
    flawed["entries"][2]["pick_else"] = ""
    first = create_post(writer, flawed)
    create_post(writer, slug="second-post")
    create_post(writer, slug="third-post")
    # One revision saved before findings were stored; the others by older rules.
    db.session.execute(
        sa.delete(RevisionFindings).where(RevisionFindings.revision_id == first.current_revision_id)
    )
    db.session.commit()
    monkeypatch.setattr(rules, "RULES_VERSION", rules.RULES_VERSION + 1)

    result = invoke(runner, ["posts", "recheck", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Rechecked 2 revision(s)" in result.output
    assert "3 revision(s) rechecked" in result.output
    assert _versions() == [rules.RULES_VERSION] * 3
    stored = db.session.get(RevisionFindings, first.current_revision_id)
    assert (stored.errors, stored.warnings) == (1, 0)

    again = invoke(runner, ["posts", "recheck"])
    assert again.exit_code == 0, again.output
    assert "0 revision(s) rechecked" in again.output
    assert _versions() == [rules.RULES_VERSION] * 3
