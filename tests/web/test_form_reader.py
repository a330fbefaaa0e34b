"""The editor's light form reader (web/form_reader.py, for the live findings and the who-wins
grid) reads exactly what WTForms' PostForm reads, and finds the same errors beside the same
fields, for a whole scored post, for every kind of bad value and for rows sent out of order
or with fields missing."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.validators import StopValidation, ValidationError

from editorial.web import form_reader
from editorial.web.checked_form import _flat_errors
from editorial.web.post_form import PostForm, build_form, content_data, post_data
from tests.conftest import sample


def _sent(form) -> list[tuple[str, str]]:
    """What a browser sends from a rendered form: each field's name and text."""
    pairs = []
    for field in form:
        if field.type in ("RowList", "FieldList"):
            for row in field.entries:
                pairs += _sent(row.form) if row.type == "FormField" else [(row.name, row.data)]
        elif field.type == "FormField":
            pairs += _sent(field.form)
        elif field.type != "CSRFTokenField":
            pairs.append((field.name, field._value() if hasattr(field, "_value") else field.data))
    return pairs


def _both(app, pairs):
    with app.test_request_context("/", method="POST"):
        formdata = MultiDict(pairs)
        form = PostForm(formdata=formdata, meta={"csrf": False})
        form.validate()
        return (post_data(form), _flat_errors(form)), form_reader.read(formdata)


def _scored_pairs(app) -> list[tuple[str, str]]:
    with app.test_request_context("/"):
        return _sent(build_form(content_data(sample("backend-frameworks-2026"))))


BAD = {
    "title": "x" * 400,
    "tags": ", ".join(f"tag{n}" for n in range(40)),
    "review_by": "next spring",
    "scale_max": "ten",
    "criteria-1-weight": "-3",
    "entries-0-url": "javascript:alert(1)",
    "entries-0-criteria-1-score": "lots",
    "entries-1-criteria-0-evidence": "not an address\nhttps://example.org/",
    "entries-2-pros": "\n".join(f"pro {n}" for n in range(14)),
    "entries-3-cons": "y" * 300,
}


def test_a_whole_scored_post_is_read_alike(app):
    (data, errors), (read, found) = _both(app, _scored_pairs(app))
    assert read == data and found == errors == []


@pytest.mark.parametrize("field", sorted(BAD))
def test_a_bad_value_is_refused_alike_beside_its_field(app, field):
    pairs = [(name, BAD[field] if name == field else value) for name, value in _scored_pairs(app)]
    (data, errors), (read, found) = _both(app, pairs)
    assert errors, f"WTForms found nothing wrong with {field}"
    assert read == data and found == errors


def test_rows_out_of_order_with_gaps_and_missing_fields_are_read_alike(app):
    pairs = [p for p in _scored_pairs(app) if not p[0].endswith(("-verdict", "-evidence"))]
    renumbered = [
        (name.replace("entries-1-", "entries-7-").replace("faq-0-", "faq-4-"), value)
        for name, value in reversed(pairs)
    ]
    (data, errors), (read, found) = _both(app, renumbered + [("entries-7-criteria-9-note", "x")])
    assert read == data and found == errors
    # Rows in the order of their numbers (0, 2, 3, then 7), each renumbered from 0.
    assert [e["name"] for e in read["entries"]] == [
        "Django",
        "FastAPI",
        "Spring Boot",
        "Ruby on Rails",
    ]
    assert read["entries"][3]["criteria"][-1]["note"] == "x"


def test_every_bad_value_at_once_is_refused_alike_when_read_again(app):
    """What the validators said of a value is kept: a second reading says it again."""
    pairs = [(name, BAD.get(name, value)) for name, value in _scored_pairs(app)]
    first, second = _both(app, pairs), _both(app, pairs)
    assert first == second
    (data, errors), (read, found) = second
    assert len(errors) == len(BAD) and read == data and found == errors


def _required(form, field):
    if not field.data:
        raise ValidationError("Required.")


def _stop_when_missing(form, field):
    if field.data is None:
        raise StopValidation("Missing.")


def _short(form, field):
    if len(field.data or "") > 3:
        raise ValidationError("Too long.")


class _Required(Form):
    """Validators of the editor's kind (of the text alone) that refuse an empty value."""

    name = StringField("Name", [_required, _short])
    code = StringField("Code", [_stop_when_missing, _required, _short])
    note = StringField("Note", [_short])


@pytest.mark.parametrize("sent", [{}, {"name": "", "code": "", "note": ""}, {"code": "abcd"}])
def test_validators_that_refuse_an_empty_value_are_run_on_one(sent):
    wtforms = _Required(MultiDict(sent))
    wtforms.validate()
    errors: list = []
    read = form_reader._read(_Required, sent, {}, "", "", errors)
    assert read == {name: value or "" for name, value in wtforms.data.items()}
    assert errors == [(name, messages) for name, messages in wtforms.errors.items()]
