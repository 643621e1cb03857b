"""The webhooks orders emit to subscribed apps, from the services in-process."""

import pytest

from accounts.principal import Principal
from commerce.models import OrderStatus
from commerce.orders.status import order_transition
from partners import services as partners
from partners.models import AppScope, WebhookDelivery, WebhookEventType

pytestmark = pytest.mark.django_db


def test_orders_emit_webhooks_to_subscribed_apps(
    customer, place_order, staff, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # no DNS in tests: a loopback target
    app_row, _ = partners.app_create(principal=Principal.system(), name="Hooks", scopes=[AppScope.ORDERS_READ])
    partners.webhook_create(
        principal=Principal.system(),
        app_id=app_row.pk,
        target_url="http://127.0.0.1:9/hooks",
        events=[WebhookEventType.ORDER_CREATED, WebhookEventType.ORDER_STATUS_CHANGED],
    )
    order = place_order(customer)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=order, to=OrderStatus.CONFIRMED, principal=Principal.for_user(staff))

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [d.event for d in deliveries] == ["ORDER_CREATED", "ORDER_STATUS_CHANGED"]
    assert deliveries[0].payload["order"]["number"] == order.number
    assert deliveries[1].payload["fromStatus"] == "PENDING" and deliveries[1].payload["toStatus"] == "CONFIRMED"
