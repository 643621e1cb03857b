"""Dramatiq actors of partner webhooks: ids in, one service call."""

import dramatiq
from django.conf import settings
from dramatiq.middleware import CurrentMessage

from observability import metrics

from .delivery import Outcome, webhook_delivery_attempt

QUEUE = "webhooks"


class WebhookDeliveryFailed(Exception):
    """Raised to make Dramatiq retry the delivery with exponential backoff."""


def _is_last_attempt() -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:  # called directly, not by a worker: nothing would retry it
        return True
    max_retries = message.options.get("max_retries", deliver_webhook.options.get("max_retries"))
    return message.options.get("retries", 0) >= max_retries


@dramatiq.actor(
    queue_name=QUEUE,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
    min_backoff=settings.WEBHOOK_MIN_BACKOFF_MS,
    max_backoff=settings.WEBHOOK_MAX_BACKOFF_MS,
    time_limit=int(settings.WEBHOOK_TIMEOUT_SECONDS * 1000) * 3 + 30_000,
)
def deliver_webhook(delivery_id: int) -> None:
    """POST one webhook delivery; raise so that Dramatiq retries it, until the
    last attempt, which marks it FAILED instead."""
    outcome = webhook_delivery_attempt(delivery_id=delivery_id, final=_is_last_attempt())
    metrics.webhook_deliveries.labels(outcome.value).inc()
    if outcome is Outcome.RETRY:
        raise WebhookDeliveryFailed(f"Webhook delivery {delivery_id} failed; retrying later.")
