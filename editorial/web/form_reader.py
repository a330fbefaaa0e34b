"""Reading the editor's form without WTForms' field objects, for the requests that only look
at it: the live findings and who ranks first under which weighting, asked for on every pause
in typing. A 50-entry, 20-criterion post sends some 5,500 fields, and WTForms spends most of
such a request making an object of each. This reads the same rows ``post_data`` gives and
checks each value with the form's own validators, so both readings agree (a test compares
them); saving, which re-renders the form with its errors, still goes through WTForms.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import request
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError

from editorial.web.error_pages import ExplainedError
from editorial.web.form_rows import oversized, row_index
from editorial.web.forms import text_only
from editorial.web.post_form import PostForm

Errors = list[tuple[str, list[str]]]  # (field id, messages), as checked_form's _flat_errors


def posted() -> Any:
    """The request's form, refused as the editor's PostForm refuses it: files (422), or more
    rows or fields than a post holds (413)."""
    text_only()
    if problem := oversized(request.form):
        raise ExplainedError(413, problem)
    return request.form


def read(formdata: Any) -> tuple[dict[str, Any], Errors]:
    """The post's rows as ``post_data`` reads them from a PostForm on ``formdata``, and each
    field's validation errors (the CSRF token is CSRFProtect's, checked before the view)."""
    errors: Errors = []
    first = dict(formdata.items())  # each name's first value, as a text field reads it
    data = _read(PostForm, first, row_index(formdata), "", "", errors)
    return data, errors


@cache
def _fields(form_class: type) -> tuple[tuple[str, UnboundField], ...]:
    """A form class's fields in their declared order."""
    found = [
        (name, value)
        for name in dir(form_class)
        if isinstance(value := getattr(form_class, name, None), UnboundField)
    ]
    return tuple(sorted(found, key=lambda pair: pair[1].creation_counter))


@cache
def _checks(form_class: type, field: str) -> tuple[Any, ...]:
    """A field's validators, then the form's inline ``validate_<field>`` if it has one."""
    unbound = getattr(form_class, field)
    given = unbound.kwargs.get("validators")
    if given is None and len(unbound.args) > 1:
        given = unbound.args[1]
    inline = getattr(form_class, f"validate_{field}", None)
    return (*(given or ()), *([inline] if inline else []))


class _Field:
    """What a validator looks at: the text as sent (None when it was not)."""

    __slots__ = ("data",)

    def __init__(self, data: str | None):
        self.data = data


def _read(
    form_class: type,
    sent: dict[str, str],
    rows: dict[str, set[int]],
    name: str,
    id_: str,
    errors: Errors,
) -> dict[str, Any]:
    """One form's values: ``name`` prefixes its fields' names as sent, ``id_`` their ids (a
    list's rows are numbered again from 0, as WTForms does)."""
    out: dict[str, Any] = {}
    for field, unbound in _fields(form_class):
        if not issubclass(unbound.field_class, FieldList):
            out[field] = _value(_checks(form_class, field), sent, name + field, id_ + field, errors)
            continue
        inner = unbound.args[0]
        found = sorted(rows.get(name + field, ()))
        if limit := unbound.kwargs.get("max_entries"):
            found = found[:limit]
        subform = inner.args[0] if issubclass(inner.field_class, FormField) else None
        checks = () if subform else _inner_checks(form_class, field)
        items = []
        for position, row in enumerate(found):
            row_name, row_id = f"{name}{field}-{row}", f"{id_}{field}-{position}"
            if subform is not None:
                items.append(_read(subform, sent, rows, row_name + "-", row_id + "-", errors))
            else:
                items.append(_value(checks, sent, row_name, row_id, errors))
        out[field] = items
    return out


@cache
def _inner_checks(form_class: type, field: str) -> tuple[Any, ...]:
    """The validators of each row of a list of text fields (the takeaways)."""
    inner = getattr(form_class, field).args[0]
    given = inner.kwargs.get("validators")
    if given is None and len(inner.args) > 1:
        given = inner.args[1]
    return tuple(given or ())


def _value(
    checks: tuple[Any, ...], sent: dict[str, str], name: str, id_: str, errors: Errors
) -> str:
    """A text field's first value as sent ("" when it is not), after its validators."""
    field = _Field(sent.get(name))
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
    if messages:
        errors.append((id_, messages))
    return "" if field.data is None else field.data
