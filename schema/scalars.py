"""Strawberry's Decimal and DateTime scalars, parsed for people and for the database.

Strawberry's Decimal takes "NaN" and "Infinity", which no price or amount may
be (and which crash comparisons in SQL); its DateTime error repeats the date
parser's internals ("Expected 3 digits, got '9-0'"). Same names, same SDL.
"""

import dataclasses
import datetime as dt
import decimal

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition, DecimalDefinition, wrap_parser
from strawberry.types.scalar import ScalarDefinition


def _finite_decimal(text: str) -> decimal.Decimal:
    value = decimal.Decimal(text)
    if not value.is_finite():
        raise decimal.InvalidOperation
    return value


def _datetime(value: object) -> object:
    strawberry_datetime = DateTimeDefinition.parse_value
    assert strawberry_datetime is not None  # Strawberry's DateTime always has its parser
    try:
        return strawberry_datetime(value)
    except StrawberryInputCoercionError:
        raise StrawberryInputCoercionError(
            f'Value cannot represent a DateTime: "{value}". Use ISO 8601, such as 2026-01-31T18:30:00Z.'
        ) from None


FiniteDecimal = dataclasses.replace(
    DecimalDefinition,
    parse_value=wrap_parser(
        _finite_decimal, "Decimal", exceptions=(decimal.DecimalException,), include_error=False, accept_non_string=True
    ),
)
ReadableDateTime = dataclasses.replace(DateTimeDefinition, parse_value=_datetime)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {decimal.Decimal: FiniteDecimal, dt.datetime: ReadableDateTime}
