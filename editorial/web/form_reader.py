"""Reading the editor's form without WTForms' field objects, for the requests that only look
at it: the live findings and who ranks first under which weighting, asked for on every pause
in typing. A 50-entry, 20-criterion post sends some 5,500 fields, and WTForms spends most of
such a request making an object of each. This reads the same rows ``post_data`` gives and
checks each value with the form's own validators, so both readings agree (a test compares
them); saving, which re-renders the form with its errors, still goes through WTForms.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from flask import request
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError

from editorial.web.error_pages import ExplainedError
from editorial.web.form_rows import Index, oversized, rows_of
from editorial.web.forms import text_only
from editorial.web.post_form import PostForm

Errors = list[tuple[str, list[str]]]  # (field id, messages), as checked_form's _flat_errors


def posted() -> Any:
    """The request's form, refused as the editor's PostForm refuses it: files (422), or more
    rows or fields than a post holds (413); its row index kept on it for ``read``."""
    text_only()
    if problem := oversized(request.form):
        raise ExplainedError(413, problem)
    return request.form


def read(formdata: Any) -> tuple[dict[str, Any], Errors]:
    """The post's rows as ``post_data`` reads them from a PostForm on ``formdata``, and each
    field's validation errors (the CSRF token is CSRFProtect's, checked before the view)."""
    errors: Errors = []
    first = dict(formdata.items())  # each name's first value, as a text field reads it
    data = _read(PostForm, first, rows_of(formdata), "", "", errors)
    return data, errors


@cache
def _plan(form_class: type) -> tuple[tuple[str, Any, bool, int | None], ...]:
    """How to read a form class, field by field in their declared order: (name, how, a list?,
    its most rows), where ``how`` is the row's form class for a list of forms, else the
    checks of the field or of each row (None when there are none)."""
    plan: list[tuple[str, Any, bool, int | None]] = []
    for field, unbound in _fields(form_class):
        if not issubclass(unbound.field_class, FieldList):
            plan.append((field, _Checks.of(_checks(form_class, field)), False, None))
            continue
        inner = unbound.args[0]
        if issubclass(inner.field_class, FormField):
            how: Any = inner.args[0]
        else:
            how = _Checks.of(_inner_checks(form_class, field))
        plan.append((field, how, True, unbound.kwargs.get("max_entries")))
    return tuple(plan)


@cache
def _fields(form_class: type) -> tuple[tuple[str, UnboundField], ...]:
    """A form class's fields in their declared order."""
    found = [
        (name, value)
        for name in dir(form_class)
        if isinstance(value := getattr(form_class, name, None), UnboundField)
    ]
    return tuple(sorted(found, key=lambda pair: pair[1].creation_counter))


def _checks(form_class: type, field: str) -> tuple[Any, ...]:
    """A field's validators, then the form's inline ``validate_<field>`` if it has one."""
    unbound = getattr(form_class, field)
    given = unbound.kwargs.get("validators")
    if given is None and len(unbound.args) > 1:
        given = unbound.args[1]
    inline = getattr(form_class, f"validate_{field}", None)
    return (*(given or ()), *([inline] if inline else []))


def _inner_checks(form_class: type, field: str) -> tuple[Any, ...]:
    """The validators of each row of a list of text fields (the takeaways)."""
    inner = getattr(form_class, field).args[0]
    given = inner.kwargs.get("validators")
    if given is None and len(inner.args) > 1:
        given = inner.args[1]
    return tuple(given or ())


class _Field:
    """What a validator looks at: the text as sent (None when it was not)."""

    __slots__ = ("data",)

    def __init__(self, data: str | None):
        self.data = data


class _Checks:
    """A field's validators, and whether they can be skipped for an empty value: each of them,
    tried once on a field not sent and on one sent empty, said nothing (the validators are
    functions of the text alone, so they would say nothing again)."""

    __slots__ = ("checks", "quiet_when_empty")

    def __init__(self, checks: tuple[Any, ...]):
        self.checks = checks
        self.quiet_when_empty = not _messages(checks, None) and not _messages(checks, "")

    @classmethod
    def of(cls, checks: tuple[Any, ...]) -> _Checks | None:
        return cls(checks) if checks else None


def _messages(checks: tuple[Any, ...], data: str | None) -> list[str]:
    """What the validators say of ``data``, as WTForms collects it (StopValidation ends)."""
    field = _Field(data)
    messages: list[str] = []
    for check in checks:
        try:
            check(None, field)
        except StopValidation as stop:
            if stop.args and stop.args[0]:
                messages.append(stop.args[0])
            break
        except ValidationError as error:
            messages.append(error.args[0])
    return messages


# Values up to this long have what their validators said of them kept, per process: while a
# writer types, every other score, address and name of the post is sent again as it was.
SHORT_VALUE = 300


@lru_cache(maxsize=16_384)
def _said(checks: _Checks, data: str) -> tuple[str, ...]:
    return tuple(_messages(checks.checks, data))


def _check(checks: _Checks, data: str | None) -> list[str]:
    """What a field's validators say of its value (nothing, when it is empty and they are
    quiet then)."""
    if not data:
        return [] if checks.quiet_when_empty else _messages(checks.checks, data)
    if len(data) <= SHORT_VALUE:
        return list(_said(checks, data))
    return _messages(checks.checks, data)


def _read(
    form_class: type,
    sent: dict[str, str],
    rows: Index,
    name: str,
    id_: str,
    errors: Errors,
) -> dict[str, Any]:
    """One form's values: ``name`` prefixes its fields' names as sent, ``id_`` their ids (a
    list's rows are numbered again from 0, as WTForms does)."""
    out: dict[str, Any] = {}
    for field, how, is_list, limit in _plan(form_class):
        if not is_list:  # a text field: its first value as sent ("" when it is not)
            value = sent.get(name + field)
            if how is not None and (messages := _check(how, value)):
                errors.append((id_ + field, messages))
            out[field] = value or ""
            continue
        found = sorted(rows.get(name + field, ()))
        if limit:
            found = found[:limit]
        items = []
        for position, row in enumerate(found):
            row_name, row_id = f"{name}{field}-{row}", f"{id_}{field}-{position}"
            if isinstance(how, type):  # a form of its own
                items.append(_read(how, sent, rows, row_name + "-", row_id + "-", errors))
                continue
            value = sent.get(row_name)
            if how is not None and (messages := _check(how, value)):
                errors.append((row_id, messages))
            items.append(value or "")
        out[field] = items
    return out
