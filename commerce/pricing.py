"""Money arithmetic shared by the cart and checkout: the server prices everything.

Tax is `TAX_RATE` (e.g. 0.19) of the subtotal, rounded half-up to cents once
per cart or order, never per line.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return money(unit_price * quantity)


def totals(line_totals: Iterable[Decimal]) -> Totals:
    subtotal = money(sum(line_totals, Decimal("0")))
    tax = money(subtotal * settings.TAX_RATE)
    return Totals(subtotal=subtotal, tax=tax, total=subtotal + tax)
