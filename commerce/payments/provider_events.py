"""Provider events: recorded once per (provider, event id), matched to their payment.

The HTTP endpoint that verifies and hands them on is
`commerce.settlement.webhook_view`: settling a payment moves its order too.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.models import Payment, PaymentEvent
from commerce.payments.base import ProviderEvent


def payment_event_record(*, event: ProviderEvent) -> PaymentEvent | None:
    """Record a verified event; None when it was recorded before (a redelivery).

    Call within a transaction: the event's unique (provider, event id) makes
    two racing deliveries record it once, and the row rolls back with whatever
    its settlement fails to do, so the provider's retry applies it again.
    """
    try:
        with transaction.atomic():
            return PaymentEvent.objects.create(
                provider=event.provider, event_id=event.event_id, type=event.type, payload=event.raw
            )
    except IntegrityError:
        return None


def payment_event_match(*, event: ProviderEvent) -> Payment | None:
    """The payment an event is about (by provider and provider reference), unlocked; None when unknown."""
    if not event.provider_reference:
        return None
    return Payment.objects.filter(provider=event.provider, provider_reference=event.provider_reference).first()


def payment_event_processed(*, row: PaymentEvent, outcome: PaymentEvent.Outcome, payment: Payment | None) -> None:
    """Note on the event's row what it did to which payment."""
    row.outcome, row.payment, row.processed_at = outcome, payment, timezone.now()
    row.save(update_fields=["outcome", "payment", "processed_at"])
