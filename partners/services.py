"""Partner-app and webhook rules. Each service validates, owns its transaction
and queues its side effects (closing websockets, deliveries) on commit."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.principal import Principal
from infra.connections import connections_close_on_commit
from infra.errors import InvalidInput, NotFound, PermissionDenied
from infra.purge import queryset_delete_in_batches

from . import policy
from .connections import app_group
from .errors import InvalidScope, InvalidWebhookEvent, WebhookInactive
from .models import EVENT_SCOPES, App, AppScope, Webhook, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from .outgoing_webhooks import delivery_enqueue_on_commit
from .targets import webhook_target_check
from .tokens import DISPLAY_PREFIX_LENGTH, app_token_generate, webhook_secret_generate

RETRY_UPDATE_BATCH = 500


def _name_clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the app a name.", code="INVALID_NAME", field="name")
    max_length = App._meta.get_field("name").max_length
    assert max_length is not None  # declared on the model
    if len(name) > max_length:
        raise InvalidInput("The name is too long.", code="INVALID_NAME", field="name")
    return name


def _scopes_clean(scopes: Iterable[str]) -> list[str]:
    scopes = [str(getattr(scope, "value", scope)) for scope in scopes]
    unknown = set(scopes) - set(AppScope.values)
    if unknown:
        raise InvalidScope(f"Unknown scope: {', '.join(sorted(unknown))}.", field="scopes")
    # Stored in a stable order so that comparisons and the admin stay readable.
    return [scope for scope in AppScope.values if scope in scopes]


def _events_clean(events: Iterable[str]) -> list[str]:
    events = [str(getattr(event, "value", event)) for event in events]
    unknown = set(events) - set(WebhookEventType.values)
    if unknown:
        raise InvalidWebhookEvent(f"Unknown event: {', '.join(sorted(unknown))}.", field="events")
    if not events:
        raise InvalidWebhookEvent("Subscribe to at least one event.", field="events")
    return [event for event in WebhookEventType.values if event in events]


def _app_locked(app_id: int) -> App:
    app = App.objects.select_for_update().filter(pk=app_id).first()
    if app is None:
        raise NotFound("No App with this id.")
    return app


def _close_on_commit(app_id: int) -> None:
    connections_close_on_commit(app_group(app_id))


def app_create(*, principal: Principal, name: str, scopes: Iterable[str]) -> tuple[App, str]:
    """Create an active app; returns it with its token, which is never shown again."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    token, digest = app_token_generate()
    app = App.objects.create(
        name=_name_clean(name),
        scopes=_scopes_clean(scopes),
        token_hash=digest,
        token_prefix=token[:DISPLAY_PREFIX_LENGTH],
        created_by=principal.user,
    )
    return app, token


@transaction.atomic
def app_update(
    *,
    principal: Principal,
    app_id: int,
    name: str | None = None,
    scopes: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> App:
    """Rename an app, change its scopes or switch it on or off.

    Losing access (deactivation, a scope taken away) closes the app's open
    websocket connections on commit; HTTP requests are refused from then on.
    """
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    app = _app_locked(app_id)
    lost_access = False
    if name is not None:
        app.name = _name_clean(name)
    if scopes is not None:
        new_scopes = _scopes_clean(scopes)
        lost_access = bool(set(app.scopes) - set(new_scopes))
        app.scopes = new_scopes
    if is_active is not None:
        lost_access = lost_access or (app.is_active and not is_active)
        app.is_active = is_active
    app.save()
    if lost_access:
        _close_on_commit(app.pk)
    return app


@transaction.atomic
def app_token_rotate(*, principal: Principal, app_id: int) -> tuple[App, str]:
    """Give an app a new token; the old one stops working at once, open
    websocket connections included. Returns the new token, shown once."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    app = _app_locked(app_id)
    token, digest = app_token_generate()
    app.token_hash = digest
    app.token_prefix = token[:DISPLAY_PREFIX_LENGTH]
    app.token_rotated_at = timezone.now()
    app.save(update_fields=["token_hash", "token_prefix", "token_rotated_at"])
    _close_on_commit(app.pk)
    return app, token


@transaction.atomic
def app_delete(*, principal: Principal, app_id: int) -> None:
    """Delete an app with its webhooks and deliveries; its connections close."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    app = _app_locked(app_id)
    app.delete()
    _close_on_commit(app_id)


def _query_clean(query: str, events: list[str]) -> str:
    """The webhook's payload document, checked against the one schema ("" for none)."""
    if not query.strip():
        return ""
    # The document is checked against the API's schema, which sits above this module.
    from schema.partners.webhook_documents import webhook_document_check

    return webhook_document_check(query=query, events=events)


def webhook_create(
    *,
    principal: Principal,
    app_id: int,
    target_url: str,
    events: Iterable[str],
    is_active: bool = True,
    query: str = "",
) -> tuple[Webhook, str]:
    """Add a webhook to an app; returns it with its signing secret, shown once.

    The URL must be a public http(s) address (`INVALID_WEBHOOK_URL`). A `query`
    (a subscription document over the events) shapes the payloads
    (`INVALID_WEBHOOK_QUERY`, `WEBHOOK_QUERY_EVENT_MISMATCH`).
    """
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    app = App.objects.filter(pk=app_id).first()
    if app is None:
        raise NotFound("No App with this id.")
    events = _events_clean(events)
    target = webhook_target_check(target_url)
    query = _query_clean(query, events)
    secret = webhook_secret_generate()
    webhook = Webhook.objects.create(
        app=app, target_url=target.url, events=events, secret=secret, is_active=is_active, query=query
    )
    return webhook, secret


@transaction.atomic
def webhook_update(
    *,
    principal: Principal,
    webhook_id: int,
    target_url: str | None = None,
    events: Iterable[str] | None = None,
    is_active: bool | None = None,
    query: str | None = None,
) -> Webhook:
    """Change a webhook's URL (checked like at creation), events, query ("" removes
    it) or active flag. The query is checked against the events it will have."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound("No Webhook with this id.")
    if target_url is not None:
        webhook.target_url = webhook_target_check(target_url).url
    if events is not None:
        webhook.events = _events_clean(events)
    if query is not None or events is not None:
        webhook.query = _query_clean(webhook.query if query is None else query, webhook.events)
    if is_active is not None:
        webhook.is_active = is_active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_secret_rotate(*, principal: Principal, webhook_id: int) -> tuple[Webhook, str]:
    """Give a webhook a new signing secret; returns it, shown once.

    For settings.WEBHOOK_SECRET_OVERLAP (read at delivery time, so changing
    it moves the end of a running overlap) the secret it replaces signs every
    delivery too (a second `v1=`), so the receiver can switch without losing
    one. Rotating again within the overlap ends the oldest secret at once.
    """
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    webhook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
    if webhook is None:
        raise NotFound("No Webhook with this id.")
    secret = webhook_secret_generate()
    webhook.previous_secret = webhook.secret
    webhook.secret = secret
    webhook.secret_rotated_at = timezone.now()
    webhook.save(update_fields=["secret", "previous_secret", "secret_rotated_at"])
    return webhook, secret


def webhook_delete(*, principal: Principal, webhook_id: int) -> None:
    """Delete a webhook and its deliveries."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    deleted, _ = Webhook.objects.filter(pk=webhook_id).delete()
    if not deleted:
        raise NotFound("No Webhook with this id.")


@transaction.atomic
def webhook_delivery_retry(*, principal: Principal, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (with a fresh series of retries), whatever its status.

    Receivers dedupe on X-FMCore-Delivery, which stays the same.
    """
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    delivery = WebhookDelivery.objects.select_for_update().select_related("webhook__app").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No WebhookDelivery with this id.")
    webhook = delivery.webhook
    if not (webhook.is_active and webhook.app.has_scope(EVENT_SCOPES[delivery.event])):
        raise WebhookInactive()
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.save(update_fields=["status"])
    delivery_enqueue_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def webhook_deliveries_retry(
    *,
    principal: Principal,
    app_id: int | None = None,
    webhook_id: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> int:
    """Send every FAILED delivery matching the filter again, each with a fresh
    series of retries, in one transaction (through the outbox); returns how many.

    Deliveries of webhooks that are off, or whose app is off or lacks the
    event's scope, stay FAILED: they would fail again at once.
    """
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    failed = WebhookDelivery.objects.filter(
        status=WebhookDeliveryStatus.FAILED, webhook__is_active=True, webhook__app__is_active=True
    )
    if app_id is not None:
        failed = failed.filter(webhook__app_id=app_id)
    if webhook_id is not None:
        failed = failed.filter(webhook_id=webhook_id)
    if created_after is not None:
        failed = failed.filter(created_at__gt=created_after)
    if created_before is not None:
        failed = failed.filter(created_at__lt=created_before)
    rows = failed.select_for_update(of=("self",)).select_related("webhook__app")
    rows = rows.only("pk", "event", "webhook__app__is_active", "webhook__app__scopes")
    ids = [row.pk for row in rows if row.webhook.app.has_scope(EVENT_SCOPES[row.event])]
    for start in range(0, len(ids), RETRY_UPDATE_BATCH):  # bounded IN lists (SQLite's parameter limit)
        chunk = ids[start : start + RETRY_UPDATE_BATCH]
        WebhookDelivery.objects.filter(pk__in=chunk).update(status=WebhookDeliveryStatus.PENDING)
    delivery_enqueue_on_commit(ids)
    return len(ids)


def webhook_deliveries_purge(*, principal: Principal, older_than: timedelta, batch_size: int) -> int:
    """Delete finished (succeeded or failed) deliveries created more than `older_than`
    ago, with their attempts; pending ones stay, their retries still due."""
    if not policy.may_manage_apps(principal):
        raise PermissionDenied()
    finished_long_ago = WebhookDelivery.objects.filter(
        created_at__lt=timezone.now() - older_than,
        status__in=[WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED],
    )
    return queryset_delete_in_batches(finished_long_ago, batch_size=batch_size)
