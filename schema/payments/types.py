"""GraphQL types of payments. Not registered in the schema yet: the payment
mutations (phase 2) and `Order.payments` bring them in."""

from datetime import datetime
from decimal import Decimal

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import auto, relay
from strawberry.scalars import JSON

from commerce.models import Payment
from commerce.payments import base
from schema.context import Info
from schema.orders.types import PaymentMethodEnum

PaymentStatusEnum = strawberry.enum(
    base.PaymentStatus,
    name="PaymentStatus",
    description="Where a payment stands: PENDING until the provider settles it as SUCCEEDED or FAILED; "
    "AUTHORIZED when approved but not yet captured; REFUNDED once fully refunded; CANCELLED when abandoned.",
)

NextActionTypeEnum = strawberry.enum(
    base.NextActionType,
    name="NextActionType",
    description="REDIRECT: send the buyer to `url`. CLIENT_SECRET: confirm in the browser with the provider's "
    "JS (Stripe) and `clientSecret`. CLIENT_CHECKOUT: open the provider's JS checkout with `data` (ePayco).",
)


@strawberry.type(name="NextAction", description="What the buyer's client must do to complete a payment.")
class NextActionType:
    type: NextActionTypeEnum = strawberry.field(description="The kind of action.")
    url: str | None = strawberry.field(default=None, description="Where to send the buyer (REDIRECT).")
    client_secret: str | None = strawberry.field(
        default=None, description="For the provider's browser SDK (CLIENT_SECRET)."
    )
    data: JSON | None = strawberry.field(
        default=None, description="Parameters for the provider's JS checkout (CLIENT_CHECKOUT); public values only."
    )

    @classmethod
    def from_payment(cls, payment: Payment) -> "NextActionType | None":
        action = base.NextAction.from_json(payment.next_action)
        if action is None:
            return None
        return cls(type=action.type, url=action.url, client_secret=action.client_secret, data=action.data)


@strawberry_django.type(Payment, name="Payment")
class PaymentType(relay.Node):
    """One attempt to pay an order. Amount and currency are the order's, set by the server."""

    method: PaymentMethodEnum
    status: PaymentStatusEnum
    amount: Decimal
    currency: auto
    refunded_amount: Decimal = strawberry_django.field(description="How much of the amount was refunded.")
    provider_reference: str | None = strawberry_django.field(description="The provider's id for this payment.")
    created_at: datetime
    paid_at: datetime | None = strawberry_django.field(description="When the provider settled it; null until then.")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Payment], info: Info, **kwargs) -> QuerySet[Payment]:
        # Reached by id only by the order's owner or staff; others see nothing (no existence oracle).
        user = info.context.user
        if not user.is_authenticated:
            return queryset.none()
        if user.is_staff:
            return queryset
        return queryset.filter(order__user=user)


@strawberry.type(description="A payment and what the buyer must do next.")
class PaymentPayload:
    payment: PaymentType
    next_action: NextActionType | None = strawberry.field(
        default=None, description="Null when nothing is left for the buyer to do (COD, DUMMY, settled payments)."
    )
