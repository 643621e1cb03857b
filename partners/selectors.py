"""Read-only questions about partner webhooks: what waits to be delivered, per app."""

from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import BigIntegerField, Count, IntegerField, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from infra.models import OutboxMessage

from .models import App, WebhookDelivery, WebhookDeliveryStatus


class BacklogFigures(TypedDict):
    pending_deliveries: int
    unsent_deliveries: int
    failed_deliveries: int
    oldest_pending_at: datetime | None


if TYPE_CHECKING:  # django-stubs-ext is a development requirement
    from django_stubs_ext import WithAnnotations

    AppWithBacklog = WithAnnotations[App, BacklogFigures]
else:
    AppWithBacklog = App


def _unsent_delivery_ids() -> QuerySet:
    """The deliveries whose actor message is still in the outbox (its first argument is the delivery's id)."""
    from .tasks import deliver_webhook

    return (
        OutboxMessage.objects.filter(sent_at__isnull=True, actor_name=deliver_webhook.actor_name)
        .annotate(delivery_id=Cast(KT("args__0"), BigIntegerField()))
        .values("delivery_id")
    )


def _per_app(deliveries: QuerySet, aggregate) -> Subquery:
    return Subquery(
        deliveries.filter(webhook__app_id=OuterRef("pk"))
        .order_by()
        .values("webhook__app_id")
        .annotate(value=aggregate)
        .values("value")[:1]
    )


def apps_with_backlog(apps: QuerySet[App] | None = None) -> QuerySet[AppWithBacklog]:
    """`apps` (every app by default) with their webhook backlog:

    - `pending_deliveries`: deliveries waiting for a (next) attempt;
    - `unsent_deliveries`: of those, the ones whose message is still in the
      outbox, not handed to the broker yet (the broker or the relay is behind);
    - `failed_deliveries`: every attempt failed (`retryWebhookDeliveries`);
    - `oldest_pending_at`: when the oldest pending delivery's event happened.

    One subquery per figure and app, each reading the status index (or the
    outbox's index of unsent rows): cheap enough for a metrics scrape.
    """
    pending = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.PENDING)
    failed = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.FAILED)
    unsent = pending.filter(pk__in=_unsent_delivery_ids())
    zero = Value(0, output_field=IntegerField())
    return (App.objects.all() if apps is None else apps).annotate(
        pending_deliveries=Coalesce(_per_app(pending, Count("id")), zero),
        unsent_deliveries=Coalesce(_per_app(unsent, Count("id")), zero),
        failed_deliveries=Coalesce(_per_app(failed, Count("id")), zero),
        oldest_pending_at=_per_app(pending, Min("created_at")),
    )
