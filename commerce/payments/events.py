"""What happens to payments: each status change (a row of the durable payment
stream, `PAYMENT_EVENTS`), a settled payment that paid its order, and a
provider's word that does not match the payment.

This module's own handler pushes each committed status change to the channel
layer right at commit (groups `payments.all` and `payments.user.<owner id>`,
message type `payment.status`), which feeds the `paymentStatusChanged`
subscription.
"""

import logging
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from commerce.event_stream import PAYMENT_EVENTS
from commerce.models import Payment, PaymentStatusChange
from infra.domain_events import DomainEvent, Handler, record

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "payment.status"
GROUP_ALL = "payments.all"


def payment_owner_group(user_id: int) -> str:
    """The channel-layer group of the events of one customer's payments."""
    return f"payments.user.{user_id}"


@dataclass(frozen=True, kw_only=True)
class PaymentStatusChanged(DomainEvent, name="payment.status_changed"):
    """A payment moved from `from_status` ("" when just opened) to `to_status`
    (SUCCEEDED, FAILED, REFUNDED, ...); `changed_at` in ISO 8601."""

    change_id: int
    payment_id: int
    order_id: int
    user_id: int | None  # None for a guest's order
    from_status: str
    to_status: str
    changed_at: str


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(DomainEvent, name="payment.succeeded"):
    """A payment settled and is what pays its order (one that was not needed is refunded instead)."""

    payment_id: int


@dataclass(frozen=True, kw_only=True)
class PaymentMismatched(DomainEvent, name="payment.mismatched"):
    """A provider reported an amount or currency that differs from the payment's."""

    payment_id: int


async def _send_to_groups(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(GROUP_ALL, message)
    if message["user_id"] is not None:  # a guest's order has no owner's group
        await layer.group_send(payment_owner_group(message["user_id"]), message)


def _status_event_push(event: PaymentStatusChanged) -> None:
    # The sequence was the transaction's last write, after the event was recorded.
    sequence = PaymentStatusChange.objects.values_list("sequence", flat=True).get(pk=event.change_id)
    message = {
        "type": MESSAGE_TYPE,
        "sequence": sequence,
        "payment_id": event.payment_id,
        "order_id": event.order_id,
        "user_id": event.user_id,
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "changed_at": event.changed_at,
    }
    try:
        async_to_sync(_send_to_groups)(message)
    except Exception:
        # The payment change is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish payment status event %s", sequence)


HANDLERS: list[Handler[Any]] = [Handler(PaymentStatusChanged, _status_event_push, at_commit=True)]


def payment_status_changed(*, payment: Payment, from_status: str) -> None:
    """In the changing transaction, as its last step: record that `payment` moved
    from `from_status` ("" when just opened) to its current status."""
    change = PaymentStatusChange.objects.create(payment=payment, from_status=from_status, to_status=payment.status)
    record(
        PaymentStatusChanged(
            change_id=change.pk,
            payment_id=payment.pk,
            order_id=payment.order_id,
            user_id=Payment.objects.filter(pk=payment.pk).values_list("order__user_id", flat=True).get(),
            from_status=from_status,
            to_status=change.to_status,
            changed_at=change.created_at.isoformat(),
        )
    )
    PAYMENT_EVENTS.sequence_assign(change)
