"""The agent API's request and response models, and the OpenAPI 3.1 document made from them.

The same pydantic models validate requests and describe them, so the document cannot drift
from what the API accepts. Post content is the interchange format (``RankingPost``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from editorial.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from editorial.domain.interchange import RankingPost


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryComment(_Model):
    entry: str = Field(max_length=200, description="The entry's name, as in the post.")
    comment: str = Field(min_length=1, max_length=5000)


class Update(_Model):
    """New content for a post, based on the revision the client last read."""

    base_revision: int = Field(ge=1, description="The revision these changes start from.")
    content: RankingPost


class Decision(_Model):
    """A reviewer's decision on the revision they read."""

    decision: Literal["approve", "request_changes"]
    revision: int = Field(ge=1, description="The revision the reviewer read.")
    checklist_confirmed: bool = Field(
        default=False,
        description="Approving: the reviewer confirms every checklist item (criteria stated "
        "and a real alternative for each entry, bias and criteria declared).",
    )
    comment: str = Field(default="", max_length=5000)
    entry_comments: list[EntryComment] = Field(default_factory=list, max_length=50)
    # Aware only: a naive time is ambiguous, and comparing it with the clock raised (a 500).
    publish_at: AwareDatetime | None = Field(
        default=None, description="Approving: go live then (with a UTC offset)."
    )


class FindingOut(BaseModel):
    code: str
    severity: Literal["error", "warning"]
    message: str
    field: str
    entry: dict[str, Any] | None = None


class Check(BaseModel):
    findings: list[FindingOut]
    errors: int
    warnings: int


class Publication(BaseModel):
    status: Literal["not_published", "queued", "scheduled", "publishing", "live", "failed",
                    "retracted"]  # fmt: skip
    url: str | None = None
    error: str | None = None
    scheduled_for: datetime | None = None


class PostOut(BaseModel):
    id: int
    slug: str
    state: str
    revision: int
    author: str
    updated_at: datetime
    findings: list[FindingOut]
    publication: Publication
    content: dict[str, Any]


class PostSummary(BaseModel):
    id: int
    slug: str
    title: str
    state: str
    revision: int
    updated_at: datetime


class PostList(BaseModel):
    posts: list[PostSummary]
    next: str | None = Field(
        None, description='The next page\'s URL (also sent as a `Link: rel="next"` header).'
    )


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemField] = Field(default_factory=list)
    current_revision: int | None = None


MODELS = [Update, Decision, Check, PostOut, PostList, Problem, Publication, RankingPost]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ref(name)}}}


def _problems(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Problem details",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for code in codes
    }


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1."""
    _, defs = models_json_schema(
        [(m, "validation") for m in MODELS], ref_template="#/components/schemas/{model}"
    )
    schemas = defs["$defs"]
    post_id = {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    common = (401, 403, 404, 422, 429)
    paging = [
        {
            "name": "limit",
            "in": "query",
            "description": f"Posts a page, {DEFAULT_LIMIT} when left out.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
        {
            "name": "after",
            "in": "query",
            "description": "The cursor in the previous page's `next` link.",
            "schema": {"type": "string"},
        },
    ]

    def op(
        summary: str,
        ok: str | None,
        code: str = "200",
        body: str | None = None,
        errors: tuple[int, ...] = common,
        params: list[Any] | None = None,
    ) -> dict[str, Any]:
        success = {"description": "OK"} | (_json(ok) if ok else {})
        out: dict[str, Any] = {
            "summary": summary,
            "responses": {code: success, **_problems(*errors)},
        }
        if body:
            out["requestBody"] = {"required": True, **_json(body)}
        if params:
            out["parameters"] = params
        return out

    writes = (400, 401, 403, 404, 409, 413, 415, 422, 429)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "editorial agent API",
            "version": "1",
            "description": "Draft, check, submit and review ranking posts. Authenticate with "
            "`Authorization: Bearer <token>` (tokens: the desk, or `editorial tokens create`).",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/posts": {
                "get": op("List my posts", "PostList", errors=(401, 422, 429), params=paging),
                "post": op("Create a draft", "PostOut", "201", "RankingPost", writes),
            },
            "/posts/{post_id}": {
                "get": op("Read a post", "PostOut", params=[post_id]),
                "put": op(
                    "Save a new revision", "PostOut", body="Update", errors=writes, params=[post_id]
                ),  # fmt: skip
            },
            "/check": {
                "post": op(
                    "Check content without saving it",
                    "Check",
                    body="RankingPost",
                    errors=(400, 401, 413, 415, 422, 429),
                )
            },  # fmt: skip
            "/posts/{post_id}/submit": {
                "post": op("Submit for review", "PostOut", errors=writes, params=[post_id])
            },
            "/posts/{post_id}/withdraw": {
                "post": op("Withdraw from review", "PostOut", errors=writes, params=[post_id])
            },
            "/posts/{post_id}/decision": {
                "post": op(
                    "Approve or request changes",
                    "PostOut",
                    body="Decision",
                    errors=writes,
                    params=[post_id],
                )  # fmt: skip
            },
            "/posts/{post_id}/publication": {
                "get": op("Publication status", "Publication", params=[post_id])
            },
            "/posts/{post_id}/export": {
                "get": op("Export in the interchange format", "RankingPost", params=[post_id])
            },
            "/review/queue": {
                "get": op("Posts in review", "PostList", errors=(401, 403, 422, 429), params=paging)
            },
        },
    }
