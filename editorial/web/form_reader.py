"""Reading the editor's form without WTForms' field objects, for the requests that only look
at it: the live findings and who ranks first under which weighting, asked for on every pause
in typing. A 50-entry, 20-criterion post sends some 5,500 fields, and WTForms spends most of
such a request making an object of each. This reads the same rows ``post_data`` gives and
checks each value with the form's own validators, so both readings agree (a test compares
them); saving, which re-renders the form with its errors, still goes through WTForms.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from flask import request
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError

from editorial.web.error_pages import ExplainedError
from editorial.web.forms import text_only
from editorial.web.post_form import PostForm, oversized, row_index

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
    data = _read(PostForm, formdata, row_index(formdata), "", "", errors)
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


def _validators(unbound: UnboundField) -> tuple[Any, ...]:
    given = unbound.kwargs.get("validators")
    if given is None and len(unbound.args) > 1:
        given = unbound.args[1]
    return tuple(given or ())


def _read(
    form_class: type, formdata: Any, rows: dict[str, set[int]], name: str, id_: str, errors: Errors
) -> dict[str, Any]:
    """One form's values: ``name`` prefixes its fields' names as sent, ``id_`` their ids (a
    list's rows are numbered again from 0, as WTForms does)."""
    out: dict[str, Any] = {}
    for field, unbound in _fields(form_class):
        if issubclass(unbound.field_class, FieldList):
            inner = unbound.args[0]
            found = sorted(rows.get(name + field, ()))
            if limit := unbound.kwargs.get("max_entries"):
                found = found[:limit]
            items = []
            for position, row in enumerate(found):
                row_name, row_id = f"{name}{field}-{row}", f"{id_}{field}-{position}"
                if issubclass(inner.field_class, FormField):
                    items.append(
                        _read(inner.args[0], formdata, rows, row_name + "-", row_id + "-", errors)
                    )
                else:
                    items.append(_value(inner, formdata, row_name, row_id, errors))
            out[field] = items
        else:
            inline = getattr(form_class, f"validate_{field}", None)
            out[field] = _value(unbound, formdata, name + field, id_ + field, errors, inline)
    return out


def _value(
    unbound: UnboundField,
    formdata: Any,
    name: str,
    id_: str,
    errors: Errors,
    inline: Any = None,
) -> str:
    """A text field's first value as sent ("" when it is not), after its validators."""
    sent = formdata.getlist(name)
    field = SimpleNamespace(data=sent[0] if sent else None)
    messages: list[str] = []
    for check in (*_validators(unbound), *([inline] if inline else [])):
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
