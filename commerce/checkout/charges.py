"""The discount and shipping of an order being placed, settled inside checkout's transaction.

Checkout calls `order_charges` once, after locking the cart and its
products: the shipping method is settled for the address's country, the
cart's voucher is locked and re-checked (window, minimum, usage limits) and
everything is priced by `commerce.pricing.quote`. The order then stores
`order_fields()` and `record()` counts the voucher's use, in the same
transaction, so an order and its use commit together or not at all.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts.models import User
from commerce import pricing
from commerce.models import Cart, Order, ShippingMethod, Voucher
from commerce.shipping.selectors import shipping_terms
from commerce.shipping.services import shipping_method_settle
from commerce.vouchers.selectors import voucher_terms
from commerce.vouchers.services import voucher_redeem_check, voucher_use_record


@dataclass(frozen=True)
class OrderCharges:
    totals: pricing.Totals
    voucher: Voucher | None
    shipping_method: ShippingMethod | None

    def order_fields(self) -> dict[str, Any]:
        """The amounts, voucher code and shipping method name the order freezes."""
        return {
            "subtotal": self.totals.subtotal,
            "discount": self.totals.discount,
            "shipping": self.totals.shipping,
            "tax": self.totals.tax,
            "total": self.totals.total,
            "voucher_code": self.voucher.code if self.voucher else "",
            "shipping_method_name": self.shipping_method.name if self.shipping_method else "",
        }

    def record(self, order: Order) -> None:
        """Count the voucher's use by the just-created `order`."""
        if self.voucher is not None:
            voucher_use_record(voucher=self.voucher, order=order)


def order_charges(
    *,
    cart: Cart,
    user: User | None,
    email: str,
    lines: Sequence[pricing.PricedLine],
    country: str | None,
    shipping_method_id: int | None,
) -> OrderCharges:
    """Settle shipping and the voucher of a locked `cart` and price its `lines`.

    Raises `SHIPPING_METHOD_REQUIRED` / `SHIPPING_METHOD_UNAVAILABLE` and the
    voucher's error codes; the caller's transaction then writes nothing.
    """
    method = shipping_method_settle(chosen_id=shipping_method_id or cart.shipping_method_id, country=country)
    voucher = None
    if cart.voucher_id is not None:
        voucher = voucher_redeem_check(
            voucher_id=cart.voucher_id, user=user, email=email, subtotal=pricing.subtotal(lines), now=timezone.now()
        )
    totals = pricing.quote(lines, discount=voucher_terms(voucher) if voucher else None, shipping=shipping_terms(method))
    return OrderCharges(totals=totals, voucher=voucher, shipping_method=method)
