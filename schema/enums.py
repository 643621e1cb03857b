"""The GraphQL enums, registered on the domain's own choices classes so the schema
cannot drift from the models. Annotate with the classes imported from here: the
import guarantees the registration has run."""

import strawberry

from commerce.catalog.availability import Availability
from commerce.models import OrderStatus, PaymentMethod, PaymentStatus, VoucherKind
from commerce.payments.base import NextActionType

strawberry.enum(OrderStatus, name="OrderStatus", description="Where an order is in its lifecycle.")

strawberry.enum(PaymentMethod, name="PaymentMethod", description="How an order is paid.")

strawberry.enum(
    PaymentStatus,
    name="PaymentStatus",
    description="Where a payment stands: PENDING until the provider settles it as SUCCEEDED or FAILED; "
    "AUTHORIZED when approved but not yet captured; REFUNDED once fully refunded; CANCELLED when abandoned.",
)

strawberry.enum(
    NextActionType,
    name="NextActionType",
    description="REDIRECT: send the buyer to `url`. CLIENT_SECRET: confirm in the browser with the provider's "
    "JS (Stripe) and `clientSecret`. CLIENT_CHECKOUT: open the provider's JS checkout with `data` (ePayco).",
)

strawberry.enum(
    VoucherKind,
    name="VoucherKind",
    description="PERCENTAGE: `value` percent off the eligible lines. FIXED: `value` off them, at most their subtotal.",
)

strawberry.enum(
    Availability,
    name="ProductAvailability",
    description="IN_STOCK; LOW_STOCK: a few units left (the server's `LOW_STOCK_THRESHOLD` or fewer); OUT_OF_STOCK.",
)

__all__ = [
    "Availability",
    "NextActionType",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "VoucherKind",
]
