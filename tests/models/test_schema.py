"""The schema: created by migrations only, matching the models, and backing the invariants."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from editorial.domain.workflow import PostState
from editorial.models import AuditEvent, Post, Revision, Role, User, db


def test_migrations_match_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, db.metadata) == []


def test_migrations_create_the_models_constraints(app):
    """Alembic's comparison skips CHECK constraints, so compare their names directly."""
    inspector = sa.inspect(db.engine)
    for table in db.metadata.sorted_tables:
        expected_checks = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        actual_checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert expected_checks == actual_checks, table.name
        expected_unique = {
            c.name for c in table.constraints if isinstance(c, sa.UniqueConstraint)
        } | {f"uq_{table.name}_{col.name}" for col in table.columns if col.unique}
        actual_unique = {c["name"] for c in inspector.get_unique_constraints(table.name)}
        assert expected_unique == actual_unique, table.name


def test_schema_comes_from_migrations(app):
    tables = set(sa.inspect(db.engine).get_table_names())
    assert "alembic_version" in tables
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_slug_is_unique(app, create_user, create_post):
    writer = create_user()
    create_post(writer)
    other = create_post(writer, slug="another-slug")
    other.slug = "python-web-frameworks-2026"
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_email_is_lowercase(app, create_user):
    create_user("someone@example.com")
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE \"user\" SET email = 'Someone@Example.com'"))


def test_email_is_unique(app, create_user):
    create_user("someone@example.com")
    other = create_user("other@example.com")
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(User).where(User.id == other.id).values(email="someone@example.com")
        )


def test_approved_post_needs_an_approved_revision(app, create_user, create_post):
    post = create_post(create_user())
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Post).where(Post.id == post.id).values(state=PostState.APPROVED)
        )


def test_published_post_needs_a_published_revision(app, create_user, create_post):
    post = create_post(create_user())
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Post).where(Post.id == post.id).values(state=PostState.PUBLISHED)
        )


def test_post_cannot_pin_another_posts_revision(app, create_user, create_post):
    writer = create_user()
    first = create_post(writer)
    second = create_post(writer, slug="second-post")
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Post)
            .where(Post.id == first.id)
            .values(current_revision_id=second.current_revision_id)
        )


def test_revision_numbers_are_unique_per_post(app, create_user, create_post):
    post = create_post(create_user())
    rev = post.current_revision
    db.session.add(
        Revision(
            post_id=post.id,
            number=rev.number,
            content={},
            rendered={},
            created_by_id=rev.created_by_id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_unknown_state_is_refused_by_the_database(app, create_user, create_post):
    post = create_post(create_user())
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE post SET state = 'live' WHERE id = :id"), {"id": post.id}
        )


def test_unknown_role_is_refused_by_the_database(app, create_user):
    user = create_user()
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("INSERT INTO user_role (user_id, role) VALUES (:id, 'owner')"), {"id": user.id}
        )


@pytest.mark.parametrize("table", ["revision", "audit_event"])
def test_history_cannot_be_changed_even_with_plain_sql(app, create_user, create_post, table):
    post = create_post(create_user())
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        db.session.execute(
            sa.text(f"UPDATE {table} SET post_id = post_id WHERE post_id = :id"),  # noqa: S608
            {"id": post.id},
        )


@pytest.mark.parametrize("model", [Revision, AuditEvent])
def test_revisions_and_audit_events_are_immutable(app, create_user, create_post, model):
    post = create_post(create_user())
    row = db.session.scalars(sa.select(model).where(model.post_id == post.id)).first()
    if model is Revision:
        row.content = {**row.content, "title": "Changed behind the app's back"}
    else:
        row.action = "post.deleted"
    with pytest.raises(ValueError, match="immutable"):
        db.session.flush()


def test_timestamps_come_back_as_aware_utc(app, create_user, create_post):
    post = create_post(create_user())
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.created_at.utcoffset().total_seconds() == 0
    assert post.current_revision.created_at.tzinfo is not None


def test_user_roles_round_trip(app, create_user):
    user = create_user("both@example.com", Role.WRITER, Role.REVIEWER)
    db.session.expire_all()
    assert user.roles == {Role.WRITER, Role.REVIEWER}
