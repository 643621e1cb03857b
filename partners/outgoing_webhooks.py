"""Partner events in, webhook deliveries out.

`webhook_event_emit` is the one entry point: the partner handlers of domain
events (`partners.handlers`) call it in the dispatch of a committed event,
which runs once per event. The delivery rows are written in that transaction
and the delivery actor is enqueued through the outbox on its commit. Nothing here talks to a receiver, so a
receiver that is down or slow cannot block or fail the business transaction.
"""

import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from infra.outbox import enqueue_batch

from .models import EVENT_SCOPES, Webhook, WebhookDelivery, WebhookEventType


def _json_ready(payload: dict) -> dict:
    """The payload as plain JSON values (Decimal and datetime become strings)."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def webhooks_for_event(event: str) -> list[Webhook]:
    """Active webhooks of active apps subscribed to `event` and allowed to see it."""
    scope = EVENT_SCOPES[event]
    candidates = Webhook.objects.filter(is_active=True, app__is_active=True).select_related("app")
    # JSON containment differs between SQLite and PostgreSQL; there are few webhooks.
    return [hook for hook in candidates if event in hook.events and hook.app.has_scope(scope)]


def delivery_enqueue_on_commit(delivery_ids: Iterable[int]) -> None:
    """Queue the delivery actor for each delivery through the outbox (one insert):
    sent when the transaction commits, relayed later if the broker is down then."""
    from .tasks import deliver_webhook

    options = {
        "max_retries": settings.WEBHOOK_MAX_RETRIES,
        "min_backoff": settings.WEBHOOK_MIN_BACKOFF_MS,
        "max_backoff": settings.WEBHOOK_MAX_BACKOFF_MS,
    }
    enqueue_batch(deliver_webhook, args_list=[(delivery_id,) for delivery_id in delivery_ids], options=options)


def webhook_event_emit(
    *, event: str, payload: dict | Callable[[], dict], subject: tuple[type[models.Model], int] | None = None
) -> list[WebhookDelivery]:
    """Record `event` for every webhook that wants it and deliver it after commit.

    `event` is a `WebhookEventType` value (ORDER_CREATED, ORDER_STATUS_CHANGED,
    PAYMENT_SUCCEEDED, ORDER_FULFILLED); `payload` is the event's data (see `partners.payloads`),
    frozen now, or a function building it, called only when some webhook wants
    the event (building it reads rows that most checkouts need not read).
    `subject` is the row the event is about, as (model, primary key): an
    order status change, a payment, a fulfilment. A webhook with a `query`
    gets that query's answer over it instead, computed at the first delivery
    attempt.
    Call it inside a transaction: a failure rolls back the event's whole
    dispatch, which the outbox relay then retries.
    """
    if event not in WebhookEventType.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    about = {"subject_type": subject[0]._meta.label_lower, "subject_id": subject[1]} if subject is not None else {}
    hooks = webhooks_for_event(event)
    if not hooks:
        return []
    data = None
    if any(not hook.query for hook in hooks):
        data = _json_ready(payload() if callable(payload) else payload)
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=hook, event=event, payload=None if hook.query else data, **about) for hook in hooks]
    )
    delivery_enqueue_on_commit(delivery.pk for delivery in deliveries)
    return deliveries
