"""API tokens: made in the desk or the CLI, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from editorial.domain.errors import InvalidInput, PermissionDenied
from editorial.models import ApiToken, AuditEvent, Role, db
from editorial.operations import accounts, tokens


def test_a_token_is_stored_only_as_its_hash_and_finds_its_user(app, writer):
    row, token = tokens.create_token(writer, "  drafting   agent ")
    db.session.commit()
    assert token.startswith("edt_") and len(token) > 40
    assert row.name == "drafting agent"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = db.session.execute(sa.text("SELECT * FROM api_token")).mappings().one()
    assert token not in [str(v) for v in stored.values()]
    assert tokens.user_for_token(token) == writer
    assert row.last_used_at is not None


@pytest.mark.parametrize(
    "presented", ["", "edt_", "edt_nope", "Bearer x", "x" * 500, "edt_" + "a" * 300]
)
def test_unknown_tokens_find_nobody(app, writer, presented):
    tokens.create_token(writer, "agent")
    assert tokens.user_for_token(presented) is None


def test_a_revoked_token_or_a_deactivated_user_finds_nobody(app, writer, create_user):
    row, token = tokens.create_token(writer, "agent")
    other, other_token = tokens.create_token(writer, "other")
    tokens.revoke_token(row, writer)
    assert tokens.user_for_token(token) is None
    assert tokens.list_tokens(writer) == [other]
    accounts.set_active(writer, False)
    assert tokens.user_for_token(other_token) is None


def test_only_the_owner_or_an_admin_revokes(app, writer, create_user):
    row, _ = tokens.create_token(writer, "agent")
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(row, create_user("other@example.com", Role.WRITER))
    tokens.revoke_token(row, create_user("admin@example.com", Role.ADMIN))
    assert row.revoked_at is not None
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("token.created") == 1 and actions.count("token.revoked") == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Name the token"), ("   ", "Name the token"), ("x" * 101, "At most 100 characters")],
)
def test_a_token_needs_a_sensible_name(app, writer, name, message):
    with pytest.raises(InvalidInput) as caught:
        tokens.create_token(writer, name)
    assert caught.value.problems[0][0] == "name"
    assert message in caught.value.problems[0][1]


def test_the_desk_shows_a_new_token_once_and_lists_it_without_it(app, client, auth, writer):
    auth.login()
    page = client.post("/account/tokens", data={"name": "my agent"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = re.search(r'value="(edt_[^"]+)"', page.get_data(as_text=True)).group(1)
    assert tokens.user_for_token(token) == writer
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "my agent" in listing
    assert token not in listing
    row = db.session.scalar(sa.select(ApiToken))
    assert f"{row.prefix}…" in listing


def test_the_desk_keeps_a_bad_name_and_says_why(app, client, auth, writer):
    auth.login()
    page = client.post("/account/tokens", data={"name": "y" * 150})
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert "At most 100 characters; this has 150." in body
    assert 'value="' + "y" * 150 + '"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_revoking_in_the_desk_is_for_the_owner(app, client, auth, writer, create_user):
    other = create_user("other@example.com", Role.WRITER)
    theirs, _ = tokens.create_token(other, "theirs")
    mine, _ = tokens.create_token(writer, "mine")
    db.session.commit()
    auth.login()
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 403
    assert client.get(f"/account/tokens/{mine.id}/revoke").status_code == 405
    response = client.post(f"/account/tokens/{mine.id}/revoke", follow_redirects=True)
    assert "revoked" in response.get_data(as_text=True)
    db.session.expire_all()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.location


def test_the_command_line_creates_lists_and_revokes(app, runner, writer):
    made = runner.invoke(args=["tokens", "create", "writer@example.com", "--name", "ci bot"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert tokens.user_for_token(token) == writer
    listed = runner.invoke(args=["tokens", "list", "writer@example.com"])
    assert "ci bot" in listed.output and token not in listed.output
    token_id = listed.output.split("\t")[0]
    revoked = runner.invoke(args=["tokens", "revoke", token_id])
    assert revoked.exit_code == 0
    db.session.expire_all()
    assert tokens.user_for_token(token) is None
    assert runner.invoke(args=["tokens", "revoke", "999"]).exit_code != 0
    bad = runner.invoke(args=["tokens", "create", "writer@example.com", "--name", " "])
    assert bad.exit_code != 0 and "Name the token" in bad.output
