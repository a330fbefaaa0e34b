"""Findings stored with each revision: computed once when it is saved, read back while the rules
are unchanged, computed again (lazily) once ``rules.RULES_VERSION`` moves on; and the revision
itself still cannot be changed."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from editorial import database
from editorial.domain import rules
from editorial.domain.interchange import parse_post
from editorial.models import Revision, RevisionFindings, db
from editorial.operations import posts
from tests.conftest import sample
from tests.helpers.posts import edited


def _flawed() -> dict[str, Any]:
    """A sample with one error (a missing pick-else note) and one warning (a short verdict)."""
    data = sample()
    data["entries"][2]["pick_else"] = ""
    data["entries"][1]["verdict"] = "Short."
    return data


def _stored(revision_id: int) -> RevisionFindings:
    """The stored row as the database has it, not as this session remembers it."""
    db.session.expire_all()
    return db.session.get(RevisionFindings, revision_id)


def _expected(revision: Revision) -> list[rules.Finding]:
    return rules.check_post(parse_post(revision.content))


def test_creating_a_post_stores_its_first_revisions_findings_and_counts(
    app, create_user, create_post
):
    post = create_post(create_user(), _flawed())
    revision = post.current_revision
    stored = _stored(revision.id)
    assert stored.rules_version == rules.RULES_VERSION
    assert (stored.errors, stored.warnings) == (1, 1)
    assert stored.findings == [f.as_dict() for f in _expected(revision)]


def test_saving_a_revision_stores_its_own_findings(app, create_user, create_post):
    writer = create_user()
    post = create_post(writer, _flawed())
    first = post.current_revision.id
    second = posts.save_revision(post, edited(post, **sample()), writer)
    db.session.commit()
    assert (_stored(first).errors, _stored(first).warnings) == (1, 1)
    assert (_stored(second.id).errors, _stored(second.id).warnings) == (0, 0)
    assert _stored(second.id).findings == []


def test_findings_for_equals_the_rules_on_the_content(app, create_user, create_post):
    post = create_post(create_user(), _flawed())
    db.session.expire_all()
    revision = db.session.get(Revision, post.current_revision_id)
    found = posts.findings_for(revision)
    assert found == _expected(revision)
    assert [f.severity for f in found] == [rules.Severity.ERROR, rules.Severity.WARNING]
    assert found[0].entry_rank == 3 and found[0].entry_name


def test_findings_and_counts_are_read_from_the_store_while_the_rules_are_unchanged(
    app, create_user, create_post
):
    post = create_post(create_user(), _flawed())
    revision_id = post.current_revision_id
    # Tamper with the cache: what comes back is what was stored, not the rules run again.
    db.session.execute(
        sa.update(RevisionFindings)
        .where(RevisionFindings.revision_id == revision_id)
        .values(errors=7, warnings=8, findings=[])
    )
    db.session.expire_all()
    revision = db.session.get(Revision, revision_id)
    assert posts.findings_for(revision) == []
    assert posts.counts_for(revision) == (7, 8)


def test_findings_from_older_rules_are_computed_again_and_stored(
    app, create_user, create_post, monkeypatch
):
    post = create_post(create_user(), _flawed())
    revision_id = post.current_revision_id
    db.session.execute(
        sa.update(RevisionFindings)
        .where(RevisionFindings.revision_id == revision_id)
        .values(errors=7, warnings=8, findings=[])
    )
    monkeypatch.setattr(rules, "RULES_VERSION", rules.RULES_VERSION + 1)
    db.session.expire_all()
    revision = db.session.get(Revision, revision_id)
    assert posts.counts_for(revision) == (1, 1)
    assert posts.findings_for(revision) == _expected(revision)
    assert revision not in db.session.dirty
    db.session.commit()
    stored = _stored(revision_id)
    assert stored.rules_version == rules.RULES_VERSION
    assert (stored.errors, stored.warnings) == (1, 1)


def test_a_revision_with_no_stored_findings_gets_them_when_first_asked(
    app, create_user, create_post
):
    """As every revision saved before the findings were stored."""
    post = create_post(create_user(), _flawed())
    revision_id = post.current_revision_id
    db.session.execute(sa.delete(RevisionFindings))
    db.session.expire_all()
    revision = db.session.get(Revision, revision_id)
    assert posts.counts_for(revision) == (1, 1)
    db.session.commit()
    assert _stored(revision_id).findings == [f.as_dict() for f in _expected(revision)]


def test_recheck_stale_stores_current_findings_and_then_finds_nothing(
    app, create_user, create_post, monkeypatch
):
    writer = create_user()
    ids = [create_post(writer, _flawed(), slug=f"post-{n}").current_revision_id for n in range(3)]
    monkeypatch.setattr(rules, "RULES_VERSION", rules.RULES_VERSION + 1)
    assert posts.recheck_stale(limit=2) == 2
    assert posts.recheck_stale(limit=2) == 1
    assert posts.recheck_stale(limit=2) == 0
    db.session.commit()
    assert {_stored(i).rules_version for i in ids} == {rules.RULES_VERSION}


@pytest.mark.parametrize("field", ["content", "rendered"])
def test_a_revisions_content_still_cannot_be_changed(app, create_user, create_post, field):
    post = create_post(create_user(), _flawed())
    revision = post.current_revision
    posts.findings_for(revision)  # reading (and storing) findings does not open the door
    setattr(revision, field, {**getattr(revision, field), "title": "Changed afterwards"})
    with pytest.raises(ValueError, match="immutable"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        db.session.execute(
            sa.update(Revision).where(Revision.id == revision.id).values(number=revision.number)
        )


def test_a_page_read_while_another_process_writes_answers_with_the_findings_unsaved(
    app, create_user, create_post, monkeypatch
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite makes a reading request wait for another process's write lock")
    post = create_post(create_user(), _flawed())
    revision_id = post.current_revision.id
    db.session.execute(sa.delete(RevisionFindings).filter_by(revision_id=revision_id))
    db.session.commit()
    monkeypatch.setattr(database, "SQLITE_BUSY_MS", 50)  # new connections wait 50 ms, not 5 s
    db.engine.dispose()
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, as long as this test reads
    try:
        with app.test_request_context("/", method="GET"):
            revision = db.session.get(Revision, revision_id)
            assert posts.counts_for(revision) == (1, 1)
            assert posts.findings_for(revision) == _expected(revision)
            db.session.rollback()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _stored(revision_id) is None  # computed for the page; stored by a later write
