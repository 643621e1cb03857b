"""Webhooks may only target public http(s) addresses: the service checks every address a
name resolves to, and delivery checks again what the host resolves to then (the GraphQL
side: test_webhook_targets_graphql.py)."""

import pytest

from accounts.principal import Principal
from partners import services
from partners.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType


@pytest.mark.django_db
def test_a_name_with_one_private_answer_is_refused(webhook_app, fake_dns):
    fake_dns["mixed.partner.test"] = "10.0.0.1"
    with pytest.raises(Exception, match="private"):
        services.webhook_create(
            principal=Principal.system(),
            app_id=webhook_app.pk,
            target_url="https://mixed.partner.test/x",
            events=["ORDER_CREATED"],
        )


@pytest.mark.django_db
def test_dns_rebinding_is_refused_at_delivery_time(webhook_app, fake_dns, receiver, settings, run_tasks, emit):
    fake_dns["rebind.partner.test"] = "93.184.215.14"
    settings.WEBHOOK_ALLOW_PRIVATE = False
    port = receiver.url.split(":")[2].split("/")[0]
    services.webhook_create(
        principal=Principal.system(),
        app_id=webhook_app.pk,
        target_url=f"http://rebind.partner.test:{port}/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )
    fake_dns["rebind.partner.test"] = "127.0.0.1"  # the attacker's DNS now answers loopback
    emit(WebhookEventType.ORDER_CREATED, {"order": {"number": "A-1"}})
    assert run_tasks() == 1
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDeliveryStatus.FAILED
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "Refused target" in attempt.error


@pytest.mark.django_db
def test_the_delivery_connects_to_the_checked_address(webhook_app, fake_dns, receiver, run_tasks, emit):
    """The name is resolved once, by the check; the POST goes to that address
    with the name in Host, so a later DNS answer cannot redirect it."""
    fake_dns["pinned.partner.test"] = "127.0.0.1"
    port = receiver.url.split(":")[2].split("/")[0]
    services.webhook_create(
        principal=Principal.system(),
        app_id=webhook_app.pk,
        target_url=f"http://pinned.partner.test:{port}/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )
    fake_dns["asked"].clear()
    emit(WebhookEventType.ORDER_CREATED)
    run_tasks()
    assert fake_dns["asked"] == ["pinned.partner.test"]
    assert [request.headers["host"] for request in receiver.requests] == [f"pinned.partner.test:{port}"]
    assert WebhookDelivery.objects.get().status == WebhookDeliveryStatus.SUCCEEDED
