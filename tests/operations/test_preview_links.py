"""Shared previews: a link to one revision, made by who may read the post, stored as a hash,
expiring, revocable, and every view in the audit log."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.models import AuditEvent, PreviewLink, Role, db, utcnow
from editorial.operations import accounts, posts
from editorial.operations import preview_links as previews
from tests.helpers.posts import edited


def test_a_link_is_stored_only_as_its_hash_and_finds_its_revision(app, writer, post):
    link, token = previews.create_link(post, 1, writer)
    db.session.commit()
    assert token.startswith("prv_") and len(token) > 40
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = db.session.execute(sa.text("SELECT * FROM preview_link")).mappings().one()
    assert token not in [str(v) for v in stored.values()]
    assert token[4:] not in [str(v) for v in stored.values()]
    assert previews.find_link(token) == link
    assert link.revision.number == 1


@pytest.mark.parametrize("presented", ["", "prv_", "prv_nope", "edt_x", "prv_" + "a" * 300])
def test_unknown_tokens_find_no_link(app, writer, post, presented):
    previews.create_link(post, 1, writer)
    assert previews.find_link(presented) is None


def test_a_link_lasts_seven_days_by_default_or_the_days_chosen(app, writer, post):
    now = utcnow()
    week, _ = previews.create_link(post, 1, writer, now=now)
    assert week.expires_at == now + timedelta(days=7)
    day, _ = previews.create_link(post, 1, writer, days=1, now=now)
    assert day.is_live(now + timedelta(hours=23))
    assert not day.is_live(now + timedelta(days=1))
    month, _ = previews.create_link(post, 1, writer, days=30, now=now)
    assert month.is_live(now + timedelta(days=29))
    assert not month.is_live(now + timedelta(days=30, seconds=1))


def test_an_expired_link_leaves_the_list_of_live_links(app, writer, post):
    now = utcnow()
    short, _ = previews.create_link(post, 1, writer, days=1, now=now)
    long, _ = previews.create_link(post, 1, writer, days=30, now=now)
    listed = db.session.scalars(previews.live_links_query(post, now + timedelta(days=2))).all()
    assert listed == [long]
    assert not short.is_live(now + timedelta(days=2))


def test_a_revoked_link_shows_nothing_and_leaves_the_list(app, writer, post, reviewer):
    link, token = previews.create_link(post, 1, writer)
    other, _ = previews.create_link(post, 1, writer)
    previews.revoke_link(link, reviewer)
    previews.revoke_link(link, writer)  # twice: nothing more happens
    assert previews.find_link(token) == link  # known, so the answer is "gone", not "unknown"
    assert not link.is_live(utcnow())
    assert link.revoked_by_id == reviewer.id
    assert db.session.scalars(previews.live_links_query(post)).all() == [other]
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("preview.created") == 2 and actions.count("preview.revoked") == 1


def test_a_link_dies_with_its_makers_account(app, writer, post):
    link, _ = previews.create_link(post, 1, writer)
    accounts.set_active(writer, False)
    assert not link.is_live(utcnow())


def test_a_link_stays_on_its_revision_when_the_post_moves_on(app, writer, post):
    link, _ = previews.create_link(post, 1, writer)
    posts.save_revision(post, edited(post, title="A later title"), writer, base_revision=1)
    db.session.commit()
    db.session.expire_all()
    assert post.current_revision.number == 2
    assert link.revision.number == 1
    assert link.revision.content["title"] != "A later title"


def test_who_may_read_the_post_may_share_and_revoke_it(app, writer, post, create_user):
    stranger = create_user("other@example.com", Role.WRITER)
    with pytest.raises(PermissionDenied):
        previews.create_link(post, 1, stranger)
    link, _ = previews.create_link(post, 1, writer)
    with pytest.raises(PermissionDenied):
        previews.revoke_link(link, stranger)
    assert link.revoked_at is None
    for email, role in [("r@example.com", Role.REVIEWER), ("a@example.com", Role.ADMIN)]:
        someone = create_user(email, role)
        theirs, _ = previews.create_link(post, 1, someone)
        previews.revoke_link(theirs, someone)
    previews.revoke_link(link, someone)  # an admin revokes the author's link
    assert link.revoked_at is not None


def test_a_link_needs_a_revision_of_the_post_and_a_choice_of_days(app, writer, post):
    with pytest.raises(InvalidInput) as refused:
        previews.create_link(post, 2, writer, days=3)
    assert dict(refused.value.problems) == {
        "revision": "This post has no revision 2.",
        "days": "A link lasts 1, 7 or 30 days.",
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PreviewLink)) == 0


def test_a_post_has_a_bounded_number_of_live_links(app, writer, post, monkeypatch):
    monkeypatch.setattr(previews, "LINK_LIMIT", 2)
    first, _ = previews.create_link(post, 1, writer)
    previews.create_link(post, 1, writer)
    with pytest.raises(InvalidInput, match="2 live links already"):
        previews.create_link(post, 1, writer)
    previews.revoke_link(first, writer)
    previews.create_link(post, 1, writer)


def test_every_view_is_an_audit_event_with_its_time(app, writer, post):
    link, _ = previews.create_link(post, 1, writer)
    start = utcnow()
    for minutes in (0, 1, 1):
        previews.record_view(link, now=start + timedelta(minutes=minutes))
    db.session.commit()
    db.session.expire_all()
    views = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "preview.viewed").order_by(AuditEvent.id)
    ).all()
    later = start + timedelta(minutes=1)
    assert [v.at for v in views] == [start, later, later]
    assert {(v.post_id, v.revision_id, v.actor_id) for v in views} == {
        (post.id, link.revision_id, None)
    }
    assert all(v.details == {"link": link.id} for v in views)
    assert link.view_count == 3
    assert link.last_viewed_at == later


def test_the_database_refuses_a_link_to_another_posts_revision(app, writer, post, create_post):
    other = create_post(writer, slug="another-post")
    link, _ = previews.create_link(post, 1, writer)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.update(PreviewLink)
            .where(PreviewLink.id == link.id)
            .values(revision_id=other.current_revision_id)
        )
        db.session.flush()
