"""Lists a page at a time: the page a URL asks for, and db.paginate on it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy.pagination import Pagination

from editorial.extensions import db
from editorial.web.forms import db_id


def page_arg(name: str = "page") -> int:
    """The page number in the query string's ``name`` (1 when missing, not a number or under
    1, as db.paginate reads it)."""
    # A page whose rows no query can reach (past 64 bits, the offset too) is past the last.
    return max(min(request.args.get(name, 1, type=db_id), 10**9), 1)


def paginate(query: sa.Select[Any], per_page: int, name: str = "page") -> Pagination:
    """One page of ``query``'s rows, the page named by the query string's ``name``; a page
    past the last is empty, not an error."""
    return db.paginate(query, page=page_arg(name), per_page=per_page, error_out=False)
