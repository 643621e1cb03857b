"""Partner apps (machine callers with scopes) and their outbound webhooks."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from infra.encryption import EncryptedTextField


class AppScope(models.TextChoices):
    """What a partner app may do; staff grant scopes when creating the app."""

    ORDERS_READ = "orders:read", "Read every order and follow its status changes"
    ORDERS_WRITE = "orders:write", "Move orders through the status transitions"
    CATALOG_WRITE = "catalog:write", "Manage categories, products and stock"


class WebhookEventType(models.TextChoices):
    """Events a webhook can subscribe to."""

    ORDER_CREATED = "ORDER_CREATED", "An order was placed"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED", "An order moved to another status"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED", "A payment settled"
    ORDER_FULFILLED = "ORDER_FULFILLED", "A shipment of a paid order left"


# The scope an app needs to receive an event: the data in it is order data.
EVENT_SCOPES: dict[str, str] = {
    WebhookEventType.ORDER_CREATED: AppScope.ORDERS_READ,
    WebhookEventType.ORDER_STATUS_CHANGED: AppScope.ORDERS_READ,
    WebhookEventType.PAYMENT_SUCCEEDED: AppScope.ORDERS_READ,
    WebhookEventType.ORDER_FULFILLED: AppScope.ORDERS_READ,
}


class App(models.Model):
    """A partner app (fulfilment, analytics, notifications) that calls the API
    with `Authorization: App <token>`. The token is stored as a SHA-256 digest."""

    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True, help_text="Inactive apps are refused at once.")
    scopes = models.JSONField(default=list, blank=True, help_text="The granted scopes, e.g. orders:read.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=16, editable=False, help_text="The token's first characters, to tell tokens apart."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    token_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in (self.scopes or [])


class Webhook(models.Model):
    """Where fm-core POSTs an app's events, signed with the webhook's secret."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="webhooks")
    target_url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="The subscribed events, e.g. ORDER_STATUS_CHANGED.")
    # Encrypted, not hashed: every delivery is signed with it (HMAC-SHA256).
    secret = EncryptedTextField(editable=False)
    # The secret before the last rotation: it signs deliveries too for
    # settings.WEBHOOK_SECRET_OVERLAP after `secret_rotated_at`.
    previous_secret = EncryptedTextField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A GraphQL subscription document over the subscribed events; when set, it
    # defines the payload (executed as the app), else the documented one is sent.
    query = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.app} -> {self.target_url}"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting for a (next) attempt"
    SUCCEEDED = "SUCCEEDED", "The receiver answered 2xx"
    FAILED = "FAILED", "Every attempt failed"


class WebhookDelivery(models.Model):
    """One event for one webhook; `uuid` is sent as X-FMCore-Delivery for dedupe."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField(
        null=True,
        help_text="The event's data, frozen when the event happened; for a webhook with a query, "
        "its result, frozen at the first attempt (null until then).",
    )
    # The GraphQL errors of the webhook's query, sent next to `data` (null when none).
    errors = models.JSONField(null=True, blank=True)
    # What the event is about (e.g. "commerce.orderstatuschange" and its id): the
    # root value a webhook's query is executed over.
    subject_type = models.CharField(max_length=60, blank=True, default="")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING, db_index=True
    )
    attempt_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} {self.uuid}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why it failed."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
