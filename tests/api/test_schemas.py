"""The agent API against its own OpenAPI document: schemathesis generates requests from
/api/v1/openapi.json and sends them through the WSGI app with a real token. No answer may be
a server error, and every answer must be one the document describes: its status code, its
content type and its body's schema.

SQLite only: the document and the answers do not depend on the database, and CI stays fast.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from editorial.api.schemas import openapi
from editorial.domain.interchange import parse_post
from editorial.models import Role, db
from editorial.operations import accounts, posts, tokens
from tests.conftest import sample
from tests.helpers.accounts import add_user_with_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


pytestmark = pytest.mark.sqlite_only("the API's answers do not vary by it")


@pytest.fixture
def post_ids(api: Any) -> list[int]:
    """A writer's draft and their post in review: generated requests are sent to these as
    well as to random ids, so that they reach past the 404."""
    writer, _ = add_user_with_token("writer@example.com", Role.WRITER, label="schemathesis")
    draft = posts.create_post(parse_post(sample()), writer)
    in_review = posts.create_post(parse_post(sample() | {"slug": "in-review"}), writer)
    posts.submit_for_review(in_review, writer)
    db.session.commit()
    return [draft.id, in_review.id]


@pytest.fixture
def writer_token(post_ids: list[int]) -> str:
    writer = accounts.find_user("writer@example.com")
    _, token = tokens.create_token(writer, "schemathesis")
    db.session.commit()
    return token


@pytest.fixture
def reviewer_token(post_ids: list[int]) -> str:
    return add_user_with_token("reviewer@example.com", Role.REVIEWER, label="schemathesis")[1]


@pytest.fixture
def api_schema(api: Any) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api)
    # A body over the documented size is refused with the documented 413 before it is read:
    # a rejection of invalid data as much as a 422 is.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    return schema


# One test per documented operation. (schemathesis.pytest.from_fixture would do this too, but
# its lazy loader sets `Function._nodeid`, which pytest 9.2 no longer has.)
OPERATIONS = [
    pytest.param(method, path, id=f"{method.upper()} {path}")
    for path, item in openapi()["paths"].items()
    for method in item
]


def _conforms(schema: Any, method: str, path: str, token: str, post_ids: list[int]) -> None:
    """Valid and invalid requests to one operation, each answered as documented."""
    operation = schema[path][method]
    fixed = [{"post_id": i} for i in post_ids] if "{post_id}" in path else []
    cases = st.one_of(
        [
            operation.as_strategy(mode, path_parameters=params)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for params in (None, *fixed)
        ]
    )

    @BOUNDED
    @given(case=cases)
    def run(case: Any) -> None:
        # The document's bearer scheme makes schemathesis invent tokens (a 401 each time):
        # every request carries the real one instead. test_views.py covers the 401s.
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        case.call_and_validate(checks=CHECKS)

    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_a_writer_as_documented(api_schema, writer_token, post_ids, method, path):
    _conforms(api_schema, method, path, writer_token, post_ids)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_a_reviewer_as_documented(
    api_schema, reviewer_token, post_ids, method, path
):
    _conforms(api_schema, method, path, reviewer_token, post_ids)


def test_a_reviewer_decides_on_a_fresh_post_as_documented(api_schema, reviewer_token, post_ids):
    """Generated decisions that get past the 404 and the 409: each one is on a post of its own,
    in review, and names the revision the reviewer read (random ids and revisions never do),
    so that what an approval carries (publish_at, comments) is exercised too."""
    operation = api_schema["/posts/{post_id}/decision"]["post"]
    writer = accounts.find_user("writer@example.com")
    made = iter(range(1, 10_000))
    names = [entry["name"] for entry in sample()["entries"]]

    @BOUNDED
    @given(case=operation.as_strategy(), approve=st.booleans())
    def run(case: Any, approve: bool) -> None:
        post = posts.create_post(parse_post(sample() | {"slug": f"fresh-{next(made)}"}), writer)
        posts.submit_for_review(post, writer)
        db.session.commit()
        case.path_parameters = {"post_id": post.id}
        case.body["revision"] = 1
        for i, note in enumerate(case.body.get("entry_comments", [])):
            note["entry"] = names[i % len(names)]  # random names are a 422, tested once is enough
        if approve:
            case.body |= {"decision": "approve", "checklist_confirmed": True}
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {reviewer_token}"}
        case.call_and_validate(checks=CHECKS)

    run()


def test_a_publish_at_without_a_utc_offset_is_refused_as_documented(
    api, api_schema, reviewer_token, post_ids
):
    """RFC 3339 date-times (what the document's `date-time` means, and all that schemathesis
    sends) carry an offset; a naive one was compared with the clock and raised (a 500)."""
    response = api.test_client().post(
        f"/api/v1/posts/{post_ids[1]}/decision",
        headers={"Authorization": f"Bearer {reviewer_token}"},
        json={"decision": "approve", "revision": 1, "checklist_confirmed": True,
              "publish_at": "2030-01-01T09:00:00"},
    )  # fmt: skip
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["field"] == "publish_at"
    api_schema["/posts/{post_id}/decision"]["post"].validate_response(response)
