"""Money arithmetic shared by the cart and checkout: the server prices everything.

    total = subtotal - discount + shipping + tax

- `discount`: a voucher's percentage or fixed amount of the *eligible*
  subtotal (the lines of its categories, or every line), never more than it.
- `shipping`: the chosen method's flat price, nothing once the discounted
  subtotal reaches its `free_above`.
- `tax`: `TAX_RATE` (e.g. 0.19) of (subtotal - discount), plus of shipping
  when `TAX_SHIPPING` is on; rounded half-up to cents once per cart or order,
  never per line.

Which voucher or method applies is decided elsewhere (commerce/vouchers,
commerce/shipping); this module only does the sums.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from infra.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def amount_clean(value: Any, field: str) -> Decimal:
    """An amount staff entered (a price, a minimum): 0 to MAX_AMOUNT, at most two decimals (`INVALID_INPUT`)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput("Give a decimal amount, e.g. 10.00.", field=field) from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(f"Give an amount between 0 and {MAX_AMOUNT}.", field=field)
    if amount != amount.quantize(CENT):
        raise InvalidInput("At most two decimal places.", field=field)
    return amount.quantize(CENT)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    discount: Decimal = ZERO
    shipping: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    """A line's total and the category it counts in for category-limited vouchers."""

    line_total: Decimal
    category_id: int | None


@dataclass(frozen=True)
class DiscountTerms:
    """What a voucher takes off: `percentage` percent, else `amount`, of the eligible lines."""

    percentage: Decimal | None = None
    amount: Decimal | None = None
    # None: every line is eligible.
    category_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class ShippingTerms:
    price: Decimal
    free_above: Decimal | None = None


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return money(unit_price * quantity)


def subtotal(lines: Iterable[PricedLine]) -> Decimal:
    return money(sum((line.line_total for line in lines), ZERO))


def discount_amount(terms: DiscountTerms, lines: Sequence[PricedLine]) -> Decimal:
    """The discount on `lines`, rounded once, capped at the eligible subtotal."""
    eligible = subtotal(line for line in lines if terms.category_ids is None or line.category_id in terms.category_ids)
    percentage, amount = terms.percentage, terms.amount or ZERO
    off = money(eligible * percentage / 100) if percentage is not None else money(amount)
    return min(off, eligible)


def shipping_amount(terms: ShippingTerms, *, discounted_subtotal: Decimal) -> Decimal:
    if terms.free_above is not None and discounted_subtotal >= terms.free_above:
        return ZERO
    return money(terms.price)


def totals(line_totals: Iterable[Decimal], *, discount: Decimal = ZERO, shipping: Decimal = ZERO) -> Totals:
    """Subtotal, tax and total of some line totals with a discount and shipping already worked out."""
    sub = money(sum(line_totals, ZERO))
    discount = min(money(discount), sub)
    shipping = money(shipping)
    taxable = sub - discount + (shipping if settings.TAX_SHIPPING else ZERO)
    tax = money(taxable * settings.TAX_RATE)
    return Totals(subtotal=sub, tax=tax, total=sub - discount + shipping + tax, discount=discount, shipping=shipping)


def quote(
    lines: Sequence[PricedLine], *, discount: DiscountTerms | None = None, shipping: ShippingTerms | None = None
) -> Totals:
    """The whole formula for some lines, an optional voucher's terms and an optional shipping method's."""
    off = discount_amount(discount, lines) if discount else ZERO
    cost = shipping_amount(shipping, discounted_subtotal=subtotal(lines) - off) if shipping else ZERO
    return totals((line.line_total for line in lines), discount=off, shipping=cost)
