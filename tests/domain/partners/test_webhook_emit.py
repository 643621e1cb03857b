"""`webhook_event_emit`: which webhooks get an event, and what it carries."""

from datetime import UTC, datetime
from decimal import Decimal

import dramatiq
import pytest

from accounts.principal import Principal
from partners import payloads, services
from partners.models import AppScope, WebhookDelivery, WebhookEventType
from tests.factories import gid, order_pinned_for_payloads


@pytest.fixture
def hooks(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True

    def hook(name, scopes, events, *, app_active=True, hook_active=True):
        app, _ = services.app_create(principal=Principal.system(), name=name, scopes=scopes)
        if not app_active:
            services.app_update(principal=Principal.system(), app_id=app.pk, is_active=False)
        webhook, _ = services.webhook_create(
            principal=Principal.system(),
            app_id=app.pk,
            target_url=f"http://127.0.0.1:9/{name}",
            events=events,
            is_active=hook_active,
        )
        return webhook

    read = [AppScope.ORDERS_READ]
    return {
        "wanted": hook("wanted", read, [WebhookEventType.ORDER_STATUS_CHANGED, WebhookEventType.ORDER_CREATED]),
        "no_scope": hook("no_scope", [AppScope.CATALOG_WRITE], [WebhookEventType.ORDER_STATUS_CHANGED]),
        "app_off": hook("app_off", read, [WebhookEventType.ORDER_STATUS_CHANGED], app_active=False),
        "hook_off": hook("hook_off", read, [WebhookEventType.ORDER_STATUS_CHANGED], hook_active=False),
        "other_event": hook("other_event", read, [WebhookEventType.PAYMENT_SUCCEEDED]),
    }


def _queued() -> int:
    return dramatiq.get_broker().queues["webhooks"].qsize() if "webhooks" in dramatiq.get_broker().queues else 0


@pytest.mark.django_db
def test_only_active_subscribed_webhooks_of_apps_with_the_scope_get_the_event(hooks, emit):
    deliveries = emit(WebhookEventType.ORDER_STATUS_CHANGED, {"at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC)})
    assert [delivery.webhook for delivery in deliveries] == [hooks["wanted"]]
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload == {"at": "2026-01-02T03:04:00Z"}
    assert delivery.status == "PENDING"
    assert _queued() == 1


@pytest.mark.django_db
def test_nothing_is_enqueued_before_commit(hooks, django_capture_on_commit_callbacks):
    from partners.outgoing_webhooks import webhook_event_emit

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhook_event_emit(event=WebhookEventType.ORDER_CREATED, payload={})
        assert WebhookDelivery.objects.count() == 1
        assert _queued() == 0
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_an_event_without_webhooks_records_nothing(db, emit):
    assert emit(WebhookEventType.PAYMENT_SUCCEEDED, {}) == []
    assert _queued() == 0


@pytest.mark.django_db
def test_an_unknown_event_is_a_programming_error(db):
    from partners.outgoing_webhooks import webhook_event_emit

    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_event_emit(event="ORDER_EXPLODED", payload={})


@pytest.fixture
def order(customer):
    return order_pinned_for_payloads(customer)


@pytest.mark.django_db
def test_order_payloads(order):
    changed_at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    data = payloads.order_status_changed_payload(
        order, from_status="PAID", to_status="COMPLETED", changed_at=changed_at, note="shipped"
    )
    assert data == {
        "order": {
            "id": gid("Order", order.pk),
            "number": order.number,
            "status": "PAID",
            "currency": order.currency,
            "subtotal": "20.00",
            "tax": "3.80",
            "total": "23.80",
            "paymentMethod": "CARD",
            "customerEmail": "customer@example.com",
            "shippingAddress": {"line1": "1 Main St", "city": "Springfield"},
            "lines": [{"productName": "Mug", "unitPrice": "10.00", "quantity": 2, "lineTotal": "20.00"}],
            "createdAt": order.created_at.isoformat(),
        },
        "fromStatus": "PAID",
        "toStatus": "COMPLETED",
        "changedAt": "2026-05-01T12:00:00+00:00",
        "note": "shipped",
    }
    assert payloads.order_created_payload(order) == {"order": data["order"]}


@pytest.mark.django_db
def test_an_app_is_recorded_as_the_actor_of_a_status_change(order, staff):
    from commerce.models import OrderStatusChange
    from partners.change_actor import actor_fields

    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_WRITE])
    by_app = OrderStatusChange.objects.create(
        order=order, from_status="PAID", to_status="COMPLETED", **actor_fields(app)
    )
    by_staff = OrderStatusChange.objects.create(
        order=order, from_status="PENDING", to_status="PAID", **actor_fields(staff)
    )
    assert (by_app.actor, by_app.actor_app) == (None, app)
    assert (by_staff.actor, by_staff.actor_app) == (staff, None)
    services.app_delete(principal=Principal.system(), app_id=app.pk)
    by_app.refresh_from_db()
    assert by_app.actor_app is None  # history stays when an app is deleted


@pytest.mark.django_db
def test_payment_payload(order):
    from types import SimpleNamespace

    # The Payment model arrives with the payments work; this stands in for a row of it.
    paid_at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    payment = SimpleNamespace(
        pk=7,
        method="CARD",
        status="SUCCEEDED",
        amount=Decimal("23.80"),
        currency="USD",
        provider_reference="pi_123",
        paid_at=paid_at,
        order=order,
    )
    data = payloads.payment_succeeded_payload(payment)
    assert data["payment"] == {
        "id": gid("Payment", 7),
        "method": "CARD",
        "status": "SUCCEEDED",
        "amount": "23.80",
        "currency": "USD",
        "providerReference": "pi_123",
        "paidAt": "2026-05-01T12:00:00+00:00",
    }
    assert data["order"]["number"] == order.number
