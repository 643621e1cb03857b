"""Payment status events: each change is a row of the durable payment stream
(`PAYMENT_EVENTS`), published once committed to the channel layer (groups
`payments.all` and `payments.user.<owner id>`, message type `payment.status`),
which feeds the `paymentStatusChanged` subscription."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from commerce.event_stream import PAYMENT_EVENTS
from commerce.models import Payment, PaymentStatusChange

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "payment.status"
GROUP_ALL = "payments.all"


def user_group(user_id: int) -> str:
    return f"payments.user.{user_id}"


async def _send_to_groups(message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(GROUP_ALL, message)
    await layer.group_send(user_group(message["user_id"]), message)


def _publish(message: dict) -> None:
    try:
        async_to_sync(_send_to_groups)(message)
    except Exception:
        # The payment change is committed; a broken layer must not turn it into an error.
        logger.exception("Could not publish payment status event %s", message["sequence"])


def payment_status_changed(*, payment: Payment, from_status: str) -> None:
    """In the changing transaction, as its last write: record that `payment` moved
    from `from_status` ("" when just opened) to its current status, and announce it
    once committed."""
    change = PaymentStatusChange.objects.create(payment=payment, from_status=from_status, to_status=payment.status)
    PAYMENT_EVENTS.sequence_assign(change)
    message = {
        "type": MESSAGE_TYPE,
        "sequence": change.sequence,
        "payment_id": payment.pk,
        "order_id": payment.order_id,
        "user_id": Payment.objects.filter(pk=payment.pk).values_list("order__user_id", flat=True).get(),
        "from_status": from_status or None,
        "to_status": change.to_status,
        "changed_at": change.created_at.isoformat(),
    }
    transaction.on_commit(lambda: _publish(message))
