"""Typed values: how a field's describe type decides comparison and order.

Each field type maps to a *normaliser* that turns both stored REST values
and query literals into one comparable form: text case-folded, ids cut to
their case-sensitive 15-character form, numbers as Decimal, dates as
``date``, datetimes as aware UTC instants. Empty text counts as null, as
Salesforce never stores an empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sandbox.salesforce.schema import FieldSchema

TEXT = "text"
ID = "id"
NUMBER = "number"
BOOLEAN = "boolean"
DATE = "date"
DATETIME = "datetime"
MULTIPICKLIST = "multipicklist"
UNFILTERABLE = "unfilterable"

_KINDS = {
    "string": TEXT, "textarea": TEXT, "phone": TEXT, "email": TEXT,
    "url": TEXT, "picklist": TEXT, "combobox": TEXT, "encryptedstring": TEXT,
    "id": ID, "reference": ID,
    "int": NUMBER, "double": NUMBER, "currency": NUMBER, "percent": NUMBER,
    "long": NUMBER,
    "boolean": BOOLEAN, "date": DATE, "datetime": DATETIME,
    "multipicklist": MULTIPICKLIST,
}
# Long and rich text areas are textarea with a length past this.
_FILTERABLE_TEXTAREA_LENGTH = 255

Normaliser = Callable[[object], object | None]


def kind_of(field: FieldSchema) -> str:
    """Return the comparison family of a field (TEXT, ID, NUMBER, ...)."""
    if field.type == "textarea" and field.length > _FILTERABLE_TEXTAREA_LENGTH:
        return UNFILTERABLE
    return _KINDS.get(field.type, UNFILTERABLE)


def normaliser(kind: str) -> Normaliser:
    """Return the function that makes values of ``kind`` comparable."""
    return _NORMALISERS.get(kind, _as_text)


def _blank(value: object) -> bool:
    return value is None or value == ""


def _as_text(value: object) -> object | None:
    return None if _blank(value) else str(value).casefold()


def _as_id(value: object) -> object | None:
    return None if _blank(value) else str(value)[:15]


def _as_number(value: object) -> object | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _as_boolean(value: object) -> object | None:
    return None if value is None else bool(value)


def _as_date(value: object) -> object | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _blank(value):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _as_datetime(value: object) -> object | None:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if _blank(value):
        return None
    try:
        return _utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _as_multipicklist(value: object) -> object | None:
    if _blank(value):
        return None
    parts = (part.strip().casefold() for part in str(value).split(";"))
    return frozenset(part for part in parts if part)


_NORMALISERS: dict[str, Normaliser] = {
    TEXT: _as_text, ID: _as_id, NUMBER: _as_number, BOOLEAN: _as_boolean,
    DATE: _as_date, DATETIME: _as_datetime, MULTIPICKLIST: _as_multipicklist,
}


def relative_range(name: str, amount: int, today: date) -> tuple[date, date]:
    """Return the half-open day range ``[start, end)`` a date literal covers.

    Weeks start on Sunday (the en_US locale); ``LAST_N_DAYS:n`` covers
    today and the ``n`` days before it.
    """
    day = timedelta(days=1)
    week_start = today - (today.weekday() + 1) % 7 * day
    month_start = today.replace(day=1)
    year_start = date(today.year, 1, 1)
    ranges: dict[str, Callable[[], tuple[date, date]]] = {
        "TODAY": lambda: (today, today + day),
        "YESTERDAY": lambda: (today - day, today),
        "TOMORROW": lambda: (today + day, today + 2 * day),
        "LAST_N_DAYS": lambda: (today - amount * day, today + day),
        "LAST_90_DAYS": lambda: (today - 90 * day, today + day),
        "NEXT_N_DAYS": lambda: (today + day, today + (amount + 1) * day),
        "NEXT_90_DAYS": lambda: (today + day, today + 91 * day),
        "N_DAYS_AGO": lambda: (today - amount * day, today - (amount - 1) * day),
        "THIS_WEEK": lambda: (week_start, week_start + 7 * day),
        "LAST_WEEK": lambda: (week_start - 7 * day, week_start),
        "NEXT_WEEK": lambda: (week_start + 7 * day, week_start + 14 * day),
        "LAST_N_WEEKS": lambda: (week_start - 7 * amount * day, week_start),
        "NEXT_N_WEEKS": lambda: (
            week_start + 7 * day, week_start + 7 * (amount + 1) * day
        ),
        "THIS_MONTH": lambda: (month_start, _months(month_start, 1)),
        "LAST_MONTH": lambda: (_months(month_start, -1), month_start),
        "NEXT_MONTH": lambda: (_months(month_start, 1), _months(month_start, 2)),
        "LAST_N_MONTHS": lambda: (_months(month_start, -amount), month_start),
        "NEXT_N_MONTHS": lambda: (
            _months(month_start, 1), _months(month_start, amount + 1)
        ),
        "THIS_YEAR": lambda: (year_start, _years(year_start, 1)),
        "LAST_YEAR": lambda: (_years(year_start, -1), year_start),
        "NEXT_YEAR": lambda: (_years(year_start, 1), _years(year_start, 2)),
        "LAST_N_YEARS": lambda: (_years(year_start, -amount), year_start),
        "NEXT_N_YEARS": lambda: (
            _years(year_start, 1), _years(year_start, amount + 1)
        ),
    }

    return ranges[name]()


def _months(first_of_month: date, count: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _years(first_of_year: date, count: int) -> date:
    return date(first_of_year.year + count, 1, 1)
