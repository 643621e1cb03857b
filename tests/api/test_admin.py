"""Staff see orders, payments, outbox messages and webhook deliveries in the
admin, but cannot change, add or delete what only services may change."""

from decimal import Decimal

import pytest

from accounts.principal import Principal
from commerce.models import OrderStatus, Payment, PaymentMethod, PaymentStatus
from commerce.orders.status import order_transition
from infra.models import OutboxMessage
from partners.models import Webhook, WebhookDelivery, WebhookDeliveryStatus
from partners.services import app_create
from tests.factories import order_of_total

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(customer) -> dict[str, object]:
    order = order_of_total(customer, "10.00", method=PaymentMethod.COD)
    order = order_transition(
        order=order, to=OrderStatus.CANCELLED, principal=Principal.system(), note="Changed my mind"
    )
    payment = Payment.objects.create(
        order=order,
        method=PaymentMethod.COD,
        provider="cod",
        amount=Decimal("10.00"),
        currency="USD",
        idempotency_key="admin-test",
    )
    app, _ = app_create(principal=Principal.system(), name="Fulfilment", scopes=["orders:read"])
    webhook = Webhook.objects.create(app=app, target_url="https://example.com/hook", events=["order.created"])
    return {
        "commerce/order": order,
        "commerce/payment": payment,
        "fmcore/outboxmessage": OutboxMessage.objects.create(actor_name="relay_outbox", queue_name="default"),
        "partners/webhookdelivery": WebhookDelivery.objects.create(webhook=webhook, event="order.created", payload={}),
    }


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


MODELS = ["commerce/order", "commerce/payment", "fmcore/outboxmessage", "partners/webhookdelivery"]


@pytest.mark.parametrize("model", MODELS)
def test_staff_open_the_changelist_and_change_pages(admin_client, rows, model):
    row = rows[model]

    changelist = admin_client.get(f"/admin/{model}/")
    change = admin_client.get(f"/admin/{model}/{row.pk}/change/")

    assert changelist.status_code == 200
    assert f"/admin/{model}/{row.pk}/change/" in changelist.content.decode()
    assert change.status_code == 200


def test_an_order_page_shows_its_status_history(admin_client, rows):
    page = admin_client.get(f"/admin/commerce/order/{rows['commerce/order'].pk}/change/").content.decode()

    assert "Changed my mind" in page
    assert "CANCELLED" in page


@pytest.mark.parametrize("model", ["commerce/order", "commerce/payment", "fmcore/outboxmessage"])
def test_nothing_is_added_changed_or_deleted_through_the_admin(admin_client, rows, model):
    row = rows[model]

    assert admin_client.get(f"/admin/{model}/add/").status_code == 403
    assert admin_client.post(f"/admin/{model}/{row.pk}/change/", {"status": "PAID"}).status_code == 403
    assert admin_client.post(f"/admin/{model}/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_order_and_payment_status_cannot_be_changed_through_the_admin(admin_client, rows):
    order, payment = rows["commerce/order"], rows["commerce/payment"]

    admin_client.post(f"/admin/commerce/order/{order.pk}/change/", {"status": OrderStatus.PAID})
    admin_client.post(f"/admin/commerce/payment/{payment.pk}/change/", {"status": PaymentStatus.SUCCEEDED})

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert payment.status == PaymentStatus.PENDING


def test_a_webhook_delivery_status_cannot_be_changed_nor_a_delivery_added(admin_client, rows):
    delivery = rows["partners/webhookdelivery"]

    admin_client.post(
        f"/admin/partners/webhookdelivery/{delivery.pk}/change/", {"status": WebhookDeliveryStatus.SUCCEEDED}
    )

    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.PENDING
    assert admin_client.get("/admin/partners/webhookdelivery/add/").status_code == 403
