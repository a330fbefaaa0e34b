"""The values the editor's form reads: numbers, lists typed one a line, addresses and days,
and the validators that refuse them beside their field when they are not what they say."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from wtforms import TextAreaField
from wtforms.validators import ValidationError

from editorial.domain.interchange import LIMITS, MAX_NUMBER, check_url

MARKDOWN = LIMITS["markdown"]
SHORT = LIMITS["short_text"]


def at_most(limit: int) -> Any:
    def check(form: Any, field: Any) -> None:
        length = len(field.data or "")
        if length > limit:
            raise ValidationError(f"At most {limit:,} characters; this has {length:,}.")

    return check


def web_address(form: Any, field: Any) -> None:
    try:
        check_url((field.data or "").strip())
    except ValueError as exc:
        raise ValidationError(f"This {exc}.") from None


def number(text: str | None, low: float | None = None) -> float | None:
    """A weight, a score or a scale's end as typed ("7", "7.5", "7,5"), or None when it is
    blank or not such a number (at least ``low``)."""
    text = (text or "").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) > MAX_NUMBER or (low is not None and value < low):
        return None
    return int(value) if value.is_integer() else value


def number_field(low: float | None = None) -> Any:
    def check(form: Any, field: Any) -> None:
        if (field.data or "").strip() and number(field.data, low) is None:
            floor = " of 0 or more" if low == 0 else ""
            raise ValidationError(f"A number{floor}, such as 7 or 7.5.")

    return check


def lines(text: str | None) -> list[str]:
    """A list typed one item a line (pros, cons, evidence addresses), blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def short_lines(limit: int) -> Any:
    def check(form: Any, field: Any) -> None:
        items = lines(field.data)
        if len(items) > limit:
            raise ValidationError(f"At most {limit} lines; this has {len(items)}.")
        if long := next((item for item in items if len(item) > SHORT), None):
            raise ValidationError(f"“{long[:40]}…” is over {SHORT} characters.")

    return check


def addresses(form: Any, field: Any) -> None:
    items = lines(field.data)
    if len(items) > LIMITS["evidence"]:
        raise ValidationError(f"At most {LIMITS['evidence']} addresses; this has {len(items)}.")
    for item in items:
        try:
            check_url(item)
        except ValueError as exc:
            raise ValidationError(f"“{item[:60]}” {exc}.") from None


def day(form: Any, field: Any) -> None:
    if (field.data or "").strip() and to_day(field.data) is None:
        raise ValidationError("A day, written 2027-06-30.")


def to_day(text: str | None) -> str | None:
    try:
        return date.fromisoformat((text or "").strip()).isoformat()
    except ValueError:
        return None


def markdown_field(label: str) -> TextAreaField:
    return TextAreaField(label, [at_most(MARKDOWN)])


def is_address(text: str) -> bool:
    try:
        return check_url(text) is not None
    except ValueError:
        return False
