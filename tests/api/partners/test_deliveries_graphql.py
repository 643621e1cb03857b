"""Staff follow deliveries and send failed ones again."""

import pytest

from accounts.principal import Principal
from partners import services
from partners.models import AppScope, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from tests.conftest import codes
from tests.factories import gid

DELIVERIES = """
query($filters: WebhookDeliveryFilter, $first: Int) {
  webhookDeliveries(filters: $filters, first: $first) {
    totalCount
    edges { node {
      id deliveryId event status attemptCount payload
      webhook { targetUrl app { name } }
      attempts { number statusCode succeeded error durationMs }
    } }
  }
}"""
RETRY = """
mutation($id: ID!) {
  retryWebhookDelivery(id: $id) {
    ... on WebhookDeliveryPayload { delivery { status attemptCount } }
    ... on OperationInfo { messages { code } }
  }
}"""
DELETE_WEBHOOK = """
mutation($id: ID!) { deleteWebhook(id: $id) { ... on OkPayload { ok } ... on OperationInfo { messages { code } } } }
"""


@pytest.fixture
def webhook(receiver):
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    webhook, _ = services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=receiver.url,
        events=[WebhookEventType.ORDER_CREATED, WebhookEventType.ORDER_STATUS_CHANGED],
    )
    return webhook


@pytest.mark.django_db
def test_staff_list_deliveries_with_their_attempts_and_filter_them(gql, staff, webhook, receiver, emit, run_tasks):
    receiver.statuses = [500]
    [failed] = emit(WebhookEventType.ORDER_CREATED, {"order": {"number": "FM-1"}})
    run_tasks()  # called directly, the only attempt is the last: FAILED
    [succeeded] = emit(WebhookEventType.ORDER_STATUS_CHANGED, {"toStatus": "PAID"})
    run_tasks()

    data = gql(DELIVERIES, user=staff)["webhookDeliveries"]
    assert data["totalCount"] == 2
    nodes = [edge["node"] for edge in data["edges"]]
    assert [(node["event"], node["status"]) for node in nodes] == [
        ("ORDER_STATUS_CHANGED", "SUCCEEDED"),
        ("ORDER_CREATED", "FAILED"),
    ]
    assert nodes[1]["deliveryId"] == str(failed.uuid)
    assert nodes[1]["payload"] == {"order": {"number": "FM-1"}}
    assert nodes[1]["webhook"] == {"targetUrl": receiver.url, "app": {"name": "Fulfilment"}}
    assert [(a["number"], a["statusCode"], a["succeeded"], a["error"]) for a in nodes[1]["attempts"]] == [
        (1, 500, False, "HTTP 500")
    ]

    by_status = gql(DELIVERIES, {"filters": {"status": "FAILED"}}, user=staff)["webhookDeliveries"]
    assert [edge["node"]["deliveryId"] for edge in by_status["edges"]] == [str(failed.uuid)]
    by_event = gql(DELIVERIES, {"filters": {"event": "ORDER_STATUS_CHANGED"}}, user=staff)["webhookDeliveries"]
    assert [edge["node"]["deliveryId"] for edge in by_event["edges"]] == [str(succeeded.uuid)]
    by_hook = gql(DELIVERIES, {"filters": {"webhook": gid("Webhook", webhook.pk)}}, user=staff)
    assert by_hook["webhookDeliveries"]["totalCount"] == 2
    other_hook = gql(DELIVERIES, {"filters": {"webhook": gid("Webhook", webhook.pk + 1)}}, user=staff)
    assert other_hook["webhookDeliveries"]["totalCount"] == 0
    wrong_type = gql(DELIVERIES, {"filters": {"webhook": gid("App", webhook.app_id)}}, user=staff)
    assert wrong_type["webhookDeliveries"]["totalCount"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 30])
def test_listing_deliveries_takes_the_same_queries_at_any_size(gql, staff, webhook, count, django_assert_num_queries):
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=webhook, event=WebhookEventType.ORDER_CREATED, payload={"i": i}) for i in range(count)
    )
    for delivery in WebhookDelivery.objects.all():
        delivery.attempts.create(number=1, status_code=500, error="HTTP 500")
    gql("{ me { email } }", user=staff)  # warm up the token check's queries
    with django_assert_num_queries(4):
        data = gql(DELIVERIES, {"first": 50}, user=staff)
    assert data["webhookDeliveries"]["totalCount"] == count


@pytest.mark.django_db
def test_retry_sends_a_failed_delivery_again(gql, staff, webhook, receiver, emit, run_tasks):
    receiver.statuses = [502]
    [delivery] = emit(WebhookEventType.ORDER_CREATED, {})
    run_tasks()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.FAILED

    payload = gql(RETRY, {"id": gid("WebhookDelivery", delivery.pk)}, user=staff)["retryWebhookDelivery"]
    assert payload == {"delivery": {"status": "PENDING", "attemptCount": 1}}
    assert run_tasks() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [502, 200]
    assert {request.headers["x-fmcore-delivery"] for request in receiver.requests} == {str(delivery.uuid)}


@pytest.mark.django_db
def test_retry_refuses_a_switched_off_webhook(gql, staff, webhook, emit, run_tasks):
    [delivery] = emit(WebhookEventType.ORDER_CREATED, {})
    services.webhook_update(principal=Principal.system(), webhook_id=webhook.pk, is_active=False)
    run_tasks()
    payload = gql(RETRY, {"id": gid("WebhookDelivery", delivery.pk)}, user=staff)["retryWebhookDelivery"]
    assert codes(payload) == ["WEBHOOK_INACTIVE"]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert run_tasks() == 0


@pytest.mark.django_db
def test_retry_of_an_unknown_delivery_is_not_found(gql, staff, db):
    payload = gql(RETRY, {"id": gid("WebhookDelivery", 999)}, user=staff)["retryWebhookDelivery"]
    assert codes(payload) == ["NOT_FOUND"]


@pytest.mark.django_db
def test_delete_webhook_removes_its_deliveries(gql, staff, webhook, emit):
    emit(WebhookEventType.ORDER_CREATED, {})
    assert gql(DELETE_WEBHOOK, {"id": gid("Webhook", webhook.pk)}, user=staff)["deleteWebhook"] == {"ok": True}
    assert not WebhookDelivery.objects.exists()
    assert codes(gql(DELETE_WEBHOOK, {"id": gid("Webhook", webhook.pk)}, user=staff)["deleteWebhook"]) == ["NOT_FOUND"]
