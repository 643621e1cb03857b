"""Operators see the webhook backlog per app (admin, /metrics) and send FAILED
deliveries again in bulk with `retryWebhookDeliveries(filter)`."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.principal import Principal
from infra.models import OutboxMessage
from partners import services
from partners.models import AppScope, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from partners.outgoing_webhooks import webhook_event_emit
from tests.conftest import codes
from tests.factories import gid

RETRY = """
mutation($filter: RetryWebhookDeliveriesFilter!) {
  retryWebhookDeliveries(filter: $filter) {
    ... on WebhookDeliveriesRetriedPayload { count }
    ... on OperationInfo { messages { code } }
  }
}"""


def _hook(receiver, name: str, *, scopes=(AppScope.ORDERS_READ,)):
    app, _ = services.app_create(principal=Principal.system(), name=name, scopes=list(scopes))
    webhook, _ = services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=receiver.url,
        events=[WebhookEventType.ORDER_STATUS_CHANGED],
    )
    return app, webhook


def _statuses() -> dict[int, str]:
    return dict(WebhookDelivery.objects.values_list("pk", "status"))


@pytest.fixture
def failed(receiver, worker, settings):
    """Two apps whose receiver failed every attempt: two FAILED deliveries each."""
    settings.WEBHOOK_MAX_RETRIES = 0
    acme, acme_hook = _hook(receiver, "Acme")
    beta, beta_hook = _hook(receiver, "Beta")
    receiver.statuses = [500] * 4
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 1})
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 2})
    worker()
    assert set(_statuses().values()) == {WebhookDeliveryStatus.FAILED}
    receiver.requests.clear()
    return acme, acme_hook, beta, beta_hook


@pytest.mark.django_db(transaction=True)
def test_staff_retry_one_apps_failed_deliveries_in_bulk(gql, staff, receiver, worker, failed):
    acme, _, beta, _ = failed
    beta_deliveries = set(WebhookDelivery.objects.filter(webhook__app=beta).values_list("pk", flat=True))
    assert len(beta_deliveries) == 2 and WebhookDelivery.objects.count() == 4

    answer = gql(RETRY, {"filter": {"appId": gid("App", acme.pk)}}, user=staff)["retryWebhookDeliveries"]

    assert answer == {"count": 2}
    statuses = _statuses()
    assert {pk for pk, status in statuses.items() if status == WebhookDeliveryStatus.PENDING} == (
        set(statuses) - beta_deliveries
    )
    worker()
    assert len(receiver.requests) == 2
    assert {status for pk, status in _statuses().items() if pk not in beta_deliveries} == {"SUCCEEDED"}
    assert {status for pk, status in _statuses().items() if pk in beta_deliveries} == {"FAILED"}


@pytest.mark.django_db(transaction=True)
def test_the_filter_narrows_by_webhook_and_time_and_skips_what_would_fail_again(gql, staff, receiver, failed):
    _, acme_hook, _, beta_hook = failed
    first = WebhookDelivery.objects.filter(webhook=acme_hook).order_by("created_at", "id").first()
    WebhookDelivery.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()

    older = gql(RETRY, {"filter": {"webhookId": gid("Webhook", acme_hook.pk), "createdBefore": yesterday}}, user=staff)
    assert older["retryWebhookDeliveries"] == {"count": 1}
    assert _statuses()[first.pk] == WebhookDeliveryStatus.PENDING

    # Beta's webhook is off now: its deliveries would fail at once, so they stay FAILED.
    services.webhook_update(principal=Principal.system(), webhook_id=beta_hook.pk, is_active=False)
    newer = gql(RETRY, {"filter": {"createdAfter": yesterday}}, user=staff)["retryWebhookDeliveries"]
    assert newer == {"count": 1}  # Acme's other one
    assert WebhookDelivery.objects.filter(webhook=beta_hook, status=WebhookDeliveryStatus.FAILED).count() == 2
    # Nothing left to retry.
    assert gql(RETRY, {"filter": {}}, user=staff)["retryWebhookDeliveries"] == {"count": 0}


@pytest.mark.django_db(transaction=True)
def test_only_staff_may_retry_and_nothing_changes_otherwise(gql, customer, receiver, failed):
    before = _statuses()
    outbox = OutboxMessage.objects.count()

    refused = gql(RETRY, {"filter": {}}, user=customer)["retryWebhookDeliveries"]
    assert codes(refused) == ["PERMISSION_DENIED"]
    anonymous = gql(RETRY, {"filter": {}})["retryWebhookDeliveries"]
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert _statuses() == before and OutboxMessage.objects.count() == outbox


@pytest.mark.django_db(transaction=True)
def test_a_wrong_kind_of_id_is_not_found(gql, staff, failed):
    answer = gql(RETRY, {"filter": {"appId": gid("Webhook", 1)}}, user=staff)["retryWebhookDeliveries"]
    assert codes(answer) == ["NOT_FOUND"]


def _backlog_samples(client) -> dict[tuple, float]:
    response = client.get("/metrics", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        if family.name.startswith("fmcore_webhook_backlog") or family.name.startswith("fmcore_webhook_oldest"):
            for sample in family.samples:
                samples[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return samples


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="t")
def test_metrics_report_the_backlog_per_app(client, receiver):
    acme, _ = _hook(receiver, "Acme")
    _hook(receiver, "Beta")
    # In the test's transaction, nothing commits: the messages stay in the outbox.
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 1})
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 2})
    handed_over = WebhookDelivery.objects.filter(webhook__app=acme).order_by("id").first()
    OutboxMessage.objects.filter(args=[handed_over.pk]).update(sent_at=timezone.now())
    WebhookDelivery.objects.filter(webhook__app__name="Beta").update(created_at=timezone.now() - timedelta(minutes=10))
    last = WebhookDelivery.objects.filter(webhook__app__name="Beta").order_by("id").last()
    WebhookDelivery.objects.filter(pk=last.pk).update(status=WebhookDeliveryStatus.FAILED)

    samples = _backlog_samples(client)

    def backlog(app: str, state: str) -> float:
        return samples[("fmcore_webhook_backlog", ("app", app), ("state", state))]

    assert (backlog("Acme", "pending"), backlog("Acme", "unsent"), backlog("Acme", "failed")) == (2, 1, 0)
    assert (backlog("Beta", "pending"), backlog("Beta", "unsent"), backlog("Beta", "failed")) == (1, 1, 1)
    assert 0 <= samples[("fmcore_webhook_oldest_pending_age_seconds", ("app", "Acme"))] < 60
    assert 590 <= samples[("fmcore_webhook_oldest_pending_age_seconds", ("app", "Beta"))] < 700


@pytest.mark.django_db
def test_the_admin_lists_the_backlog_per_app_and_retries_failed_ones(client, superuser, receiver):
    acme, _ = _hook(receiver, "Acme")
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 1})
    webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 2})
    failed = WebhookDelivery.objects.order_by("id").first()
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=WebhookDeliveryStatus.FAILED)
    client.force_login(superuser)

    page = client.get("/admin/partners/app/").content.decode()
    assert "pending deliveries" in page.lower() and "failed deliveries" in page.lower()
    assert f'webhook__app__id__exact={acme.pk}&amp;status__exact=FAILED">1</a>' in page
    assert f'webhook__app__id__exact={acme.pk}&amp;status__exact=PENDING">1</a>' in page
    listed = client.get(f"/admin/partners/webhookdelivery/?webhook__app__id__exact={acme.pk}&status__exact=FAILED")
    assert listed.status_code == 200

    client.post("/admin/partners/app/", {"action": "retry_failed_deliveries", "_selected_action": [acme.pk]})
    assert WebhookDelivery.objects.get(pk=failed.pk).status == WebhookDeliveryStatus.PENDING
