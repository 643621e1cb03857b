import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .orders import Order, PaymentMethod


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


class Payment(models.Model):
    """One attempt to pay an order through one provider.

    `amount` and `currency` are copied from the order by the server, never taken
    from a client. `reference` is our own unique id for the attempt: it is the
    idempotency key sent to providers and the merchant reference they echo back.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    provider = models.CharField(max_length=16, help_text="Provider module name, e.g. `stripe`.")
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField(max_length=100)
    provider_reference = models.CharField(
        max_length=255, null=True, blank=True, help_text="The provider's id for this payment (session, order...)."
    )
    next_action = models.JSONField(null=True, blank=True)
    # Provider-specific working state (a capture id, a transaction reference...).
    provider_data = models.JSONField(default=dict, blank=True)
    # Every payload exchanged with the provider, oldest first, kept for audit.
    raw_payloads = models.JSONField(default=list, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=Q(provider_reference__isnull=False),
                name="payment_provider_reference_unique",
            ),
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="payment_idempotency_key_per_order"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_reference or self.reference} {self.status}"


class PaymentEvent(models.Model):
    """A provider event as received; its unique id makes a redelivery a no-op."""

    class Outcome(models.TextChoices):
        APPLIED = "APPLIED", "Changed the payment"
        IGNORED = "IGNORED", "Nothing to change (already in that state, or an event type we do not act on)"
        UNMATCHED = "UNMATCHED", "No payment has this provider reference"
        MISMATCH = "MISMATCH", "Amount or currency differed: the payment was marked FAILED"

    provider = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_unique")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.type}"


class RefundStatus(models.TextChoices):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Refund(models.Model):
    """A full or partial refund of a payment, as asked of the provider."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_reference = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    raw_payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} of payment {self.payment_id}"


class PaymentStatusChange(models.Model):
    """One step of a payment's status, the first (its opening) without `from_status`;
    the durable log behind `paymentStatusChanged`."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=PaymentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    # Dense and in commit order, as OrderStatusChange.sequence (see `commerce.event_stream`).
    sequence = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '-'} -> {self.to_status}"
