"""GraphQL types of payments: `Payment` (also reached as `Order.payments`) and
the `PaymentPayload` of the payment mutations."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import auto, relay
from strawberry.scalars import JSON
from strawberry_django.fields.types import OperationInfo

from commerce.event_stream import PAYMENT_EVENTS
from commerce.models import Payment, PaymentStatusChange
from commerce.payments import base
from commerce.payments.selectors import payments_visible_filter
from schema.context import Info
from schema.enums import NextActionKind, PaymentMethod, PaymentStatus
from schema.stream_events import status_event_fields


@strawberry.type(name="NextAction", description="What the buyer's client must do to complete a payment.")
class NextAction:
    type: NextActionKind = strawberry.field(description="The kind of action.")
    url: str | None = strawberry.field(default=None, description="Where to send the buyer (REDIRECT).")
    client_secret: str | None = strawberry.field(
        default=None, description="For the provider's browser SDK (CLIENT_SECRET)."
    )
    data: dict[str, Any] | None = strawberry.field(
        graphql_type=JSON | None,
        default=None,
        description="Parameters for the provider's JS checkout (CLIENT_CHECKOUT); public values only.",
    )

    @classmethod
    def from_payment(cls, payment: Payment) -> "NextAction | None":
        """The buyer's next step while the payment waits for them; None once it left PENDING."""
        if payment.status != PaymentStatus.PENDING:
            return None
        action = base.NextAction.from_json(payment.next_action)
        if action is None:
            return None
        return cls(type=action.type, url=action.url, client_secret=action.client_secret, data=action.data)


@strawberry_django.type(
    Payment,
    name="Payment",
    description="One attempt to pay an order. Amount and currency are the order's, set by the server.",
)
class PaymentType(relay.Node):
    method: PaymentMethod
    status: PaymentStatus
    amount: Decimal
    currency: auto
    refunded_amount: Decimal = strawberry_django.field(description="How much of the amount was refunded.")
    provider_reference: str | None = strawberry_django.field(description="The provider's id for this payment.")
    created_at: datetime
    paid_at: datetime | None = strawberry_django.field(description="When the provider settled it; null until then.")
    failure_reason: str = strawberry_django.field(description="Why it failed, for a person; empty otherwise.")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Payment], info: Info, **kwargs) -> QuerySet[Payment]:
        # Whoever sees the order sees its payments; others see nothing (no existence oracle).
        return payments_visible_filter(queryset, info.context.principal)


@strawberry.type(description="A payment and what the buyer must do next.")
class PaymentPayload:
    payment: PaymentType
    next_action: NextAction | None = strawberry.field(
        default=None, description="Null when nothing is left for the buyer to do (COD, DUMMY, settled payments)."
    )


PaymentResult = Annotated[PaymentPayload | OperationInfo, strawberry.union("PaymentResult")]


@strawberry.type(description="A committed change of a payment's status.")
class PaymentStatusEvent:
    payment: Payment = strawberry.field(graphql_type=PaymentType)
    from_status: PaymentStatus | None = strawberry.field(description="Null when the payment was just opened.")
    to_status: PaymentStatus
    changed_at: datetime
    cursor: str = strawberry.field(
        description="This event's place in the payment stream: pass it as `after` to resume right after it."
    )

    @classmethod
    def from_change(cls, change: PaymentStatusChange) -> "PaymentStatusEvent":
        return cls(payment=change.payment, **status_event_fields(change, stream=PAYMENT_EVENTS, status=PaymentStatus))
