"""Events become signed POSTs, retried with backoff by a real Dramatiq worker;
every attempt is recorded, and a slow or dead receiver never touches the
transaction that emitted the event."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.principal import Principal
from partners import services
from partners.models import AppScope, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from partners.outgoing_webhooks import webhook_event_emit
from partners.signing import webhook_signature_valid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(receiver):
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    webhook, secret = services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=receiver.url,
        events=[WebhookEventType.ORDER_STATUS_CHANGED],
    )
    return webhook, secret


def _attempts(delivery: WebhookDelivery) -> list[tuple]:
    return list(delivery.attempts.values_list("number", "status_code", "succeeded"))


def test_a_delivery_is_signed_and_recorded(hook, receiver, worker):
    _, secret = hook
    payload = {"order": {"number": "FM-1", "total": Decimal("19.90")}, "fromStatus": "PAID", "toStatus": "COMPLETED"}
    [delivery] = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload=payload)
    worker()

    [request] = receiver.requests
    assert request.path == "/hooks/fm"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-fmcore-event"] == "ORDER_STATUS_CHANGED"
    assert request.headers["x-fmcore-delivery"] == str(delivery.uuid)
    # The receiver's check, written from the documentation: HMAC-SHA256 of "t.body".
    signature = dict(part.split("=", 1) for part in request.headers["x-fmcore-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{signature['t']}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature["v1"], expected)
    assert abs(int(signature["t"]) - time.time()) < 60
    assert webhook_signature_valid(
        secret=secret, header=request.headers["x-fmcore-signature"], body=request.body, now=int(time.time())
    )
    assert not webhook_signature_valid(
        secret="whsec_wrong", header=request.headers["x-fmcore-signature"], body=request.body, now=int(time.time())
    )
    body = json.loads(request.body)
    assert body == {
        "id": str(delivery.uuid),
        "event": "ORDER_STATUS_CHANGED",
        "createdAt": body["createdAt"],
        "data": {"order": {"number": "FM-1", "total": "19.90"}, "fromStatus": "PAID", "toStatus": "COMPLETED"},
    }

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.delivered_at is not None
    assert _attempts(delivery) == [(1, 200, True)]
    assert delivery.attempts.get().error == ""


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt(hook, receiver, worker):
    receiver.statuses = [500, 503]
    [delivery] = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={"n": 1})
    worker()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED
    assert delivery.attempt_count == 3
    assert _attempts(delivery) == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert list(delivery.attempts.values_list("error", flat=True)) == ["HTTP 500", "HTTP 503", ""]
    # One delivery, the same id on every try: the receiver can dedupe.
    assert WebhookDelivery.objects.count() == 1
    assert {request.headers["x-fmcore-delivery"] for request in receiver.requests} == {str(delivery.uuid)}


def test_exhausted_retries_mark_the_delivery_failed(hook, receiver, worker, settings):
    settings.WEBHOOK_MAX_RETRIES = 2
    receiver.statuses = [500] * 10
    [delivery] = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={})
    worker()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert _attempts(delivery) == [(1, 500, False), (2, 500, False), (3, 500, False)]
    assert len(receiver.requests) == 3


def test_a_receiver_that_never_answers_does_not_slow_the_transaction(hook, receiver, worker, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.5
    settings.WEBHOOK_MAX_RETRIES = 0
    receiver.hang = 3
    started = time.monotonic()
    with transaction.atomic():
        deliveries = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={})
    # Waiting for the receiver would take the whole 1.5 s timeout.
    assert time.monotonic() - started < 1.0
    assert len(deliveries) == 1
    worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "Timeout" in attempt.error
    assert 1400 <= attempt.duration_ms < 3000


def test_a_receiver_that_is_down_is_recorded(receiver, worker, settings):
    settings.WEBHOOK_MAX_RETRIES = 1
    app, _ = services.app_create(principal=Principal.system(), name="Down", scopes=[AppScope.ORDERS_READ])
    # Port 1 (tcpmux) is privileged and unused: a port freed by a probe could be taken by another process.
    services.webhook_create(
        principal=Principal.system(), app_id=app.pk, target_url="http://127.0.0.1:1/", events=["ORDER_CREATED"]
    )
    webhook_event_emit(event=WebhookEventType.ORDER_CREATED, payload={})
    worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert [("ConnectionError" in error) for error in delivery.attempts.values_list("error", flat=True)] == [True] * 2


def test_a_rolled_back_transaction_delivers_nothing(hook, receiver, worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={})
        raise RuntimeError("the order change failed")
    worker()
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_webhook_switched_off_before_delivery_fails_without_a_request(hook, receiver, worker):
    webhook, _ = hook
    with transaction.atomic():
        [delivery] = webhook_event_emit(event=WebhookEventType.ORDER_STATUS_CHANGED, payload={})
        services.webhook_update(principal=Principal.system(), webhook_id=webhook.pk, is_active=False)
    worker()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert receiver.requests == []
    assert delivery.attempts.get().error == "The webhook or its app is inactive."


def test_old_timestamps_fail_verification(hook):
    _, secret = hook
    from partners.signing import webhook_signature

    now = int(timezone.now().timestamp())
    header = webhook_signature(secrets=[secret], timestamp=now - 3600, body=b"{}")
    assert not webhook_signature_valid(secret=secret, header=header, body=b"{}", now=now)
    assert webhook_signature_valid(secret=secret, header=header, body=b"{}", now=now - 3600)
    assert not webhook_signature_valid(secret=secret, header=header, body=b"{ }", now=now - 3600)
    assert not webhook_signature_valid(secret=secret, header="garbage", body=b"{}", now=now)
