"""The GraphQL enums, registered on the domain's own choices classes so the schema
cannot drift from the models. Annotate with the classes imported from here: the
import guarantees the registration has run."""

import strawberry

from commerce.catalog.availability import Availability
from commerce.models import OrderStatus, PaymentMethod, PaymentStatus, VoucherKind
from commerce.payments.base import NextActionKind
from partners.models import AppScope, WebhookDeliveryStatus, WebhookEventType

strawberry.enum(OrderStatus, name="OrderStatus", description="Where an order is in its lifecycle.")

strawberry.enum(PaymentMethod, name="PaymentMethod", description="How an order is paid.")

strawberry.enum(
    PaymentStatus,
    name="PaymentStatus",
    description="Where a payment stands: PENDING until the provider settles it as SUCCEEDED or FAILED; "
    "AUTHORIZED when approved but not yet captured; REFUNDED once fully refunded; CANCELLED when abandoned.",
)

strawberry.enum(
    NextActionKind,
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

strawberry.enum(
    AppScope,
    name="AppScope",
    description="What a partner app may do: ORDERS_READ (orders:read: every order, orderStatusChanged), "
    "ORDERS_WRITE (orders:write: updateOrderStatus), CATALOG_WRITE (catalog:write).",
)

strawberry.enum(WebhookEventType, name="WebhookEvent", description="An event a webhook can subscribe to.")

strawberry.enum(
    WebhookDeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING until an attempt succeeds or every attempt failed.",
)

__all__ = [
    "AppScope",
    "Availability",
    "NextActionKind",
    "OrderStatus",
    "PaymentMethod",
    "PaymentStatus",
    "VoucherKind",
    "WebhookDeliveryStatus",
    "WebhookEventType",
]
