"""What the desk reads from a request: forms, and ids in URLs and in form and query values."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto  # FlaskForm's "read the request" marker
from werkzeug.routing import IntegerConverter
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from editorial.web.error_pages import ExplainedError

# The largest id a database column holds (a signed 64-bit integer, in SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in the desk's routes: a number no database id can be matches no route,
    so the answer is a 404 (the driver would raise OverflowError on it: a 500)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def db_id(value: str) -> int:
    """An id (or a revision number) from a form or query value, as ``type=`` of
    ``request.form.get``. A number no database column holds (past 64 bits) is no row of
    ours: it reads as -1, which no row has, so it is not found, as it is in a URL (the driver
    would raise OverflowError on it: a 500). Text that is no number raises ValueError."""
    try:
        number = int(value)
    except ValueError:
        if value.strip().lstrip("+-").isdigit():  # more digits than int() reads from text
            return -1
        raise
    return number if -MAX_ID <= number <= MAX_ID else -1


def text_only() -> None:
    """Refuse a request that sends files: no desk form takes any (a 422 that says so)."""
    if request.files:
        raise ExplainedError(422, "This form takes text, not files: send every field as text.")


class TextForm(FlaskForm):
    """A desk form: it reads the request's text fields, and nothing else.

    Flask-WTF also reads uploaded files (into fields that expect text) and JSON bodies (any
    shape, any depth): no desk form takes either, so a file is refused with a 422 and a JSON
    body is not read.
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is not _Auto:
                return formdata
            if not form.is_submitted():
                return None
            text_only()
            form.check_sent(request.form)
            return request.form or None

    def check_sent(self, formdata: Any) -> None:
        """Refuse (raise an HTTPException) what this form must not read from the request."""


class EmptyForm(TextForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""


class LoginForm(TextForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()
