"""The pay flow of every provider through the API: initiatePayment, then a
verified webhook or confirmPayment, and the order is PAID once, with its email,
notification and partner webhook. Providers are faked at the HTTP boundary."""

import json

import pytest
import responses

from accounts.principal import Principal
from commerce.models import Notification, OrderStatus, Payment, PaymentEvent, PaymentMethod, PaymentStatus
from commerce.payments.providers.dummy import dummy_signature
from commerce.payments.providers.epayco import epayco_signature
from partners.models import WebhookDelivery, WebhookEventType
from tests.api.payments.operations import CONFIRM, INITIATE, ORDER_PAYMENTS
from tests.conftest import codes
from tests.domain.commerce.payments.provider_fakes import DUMMY_WEBHOOK_SECRET, stripe_signed
from tests.factories import gid, pk_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dummy_settings")]

STRIPE_API = "https://api.stripe.com/v1"
PAYPAL_API = "https://api-m.sandbox.paypal.com"
MAYA_API = "https://pg-sandbox.paymaya.com"
MAYA_ID = "cbb3255a-f333-450a-9037-d602d7f4ac07"


def initiate(gql, order, user, method=None, key=None) -> dict:
    return gql(INITIATE, {"orderId": gid("Order", order.pk), "method": method, "key": key}, user=user)[
        "initiatePayment"
    ]


def assert_paid_once(order, payment_id: int, mailoutbox, drain) -> None:
    """The order is PAID through one recorded step, and its side effects left once."""
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.history.filter(to_status=OrderStatus.PAID).count() == 1
    payment = Payment.objects.get(pk=payment_id)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.paid_at is not None
    drain()
    paid_mails = [m for m in mailoutbox if "payment received" in m.subject]
    assert len(paid_mails) == 1
    assert paid_mails[0].to == [order.user.email] and order.number in paid_mails[0].subject
    assert Notification.objects.filter(user=order.user, title=f"Order {order.number} is paid").count() == 1
    drain()  # nothing more goes out on a second pass
    assert len([m for m in mailoutbox if "payment received" in m.subject]) == 1


def test_dummy_initiate_then_confirm(gql, customer, place_order, drain, mailoutbox):
    order = place_order(customer)

    started = initiate(gql, order, customer, key="k1")

    assert started["__typename"] == "PaymentPayload"
    assert started["payment"]["method"] == "DUMMY" and started["payment"]["status"] == "PENDING"
    assert (started["payment"]["amount"], started["payment"]["currency"]) == ("20.00", "USD")
    assert started["nextAction"] is None
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    confirmed = gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)["confirmPayment"]

    assert confirmed["payment"]["status"] == "SUCCEEDED" and confirmed["payment"]["paidAt"]
    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)
    seen = gql(ORDER_PAYMENTS, {"id": gid("Order", order.pk)}, user=customer)["order"]
    assert seen["status"] == "PAID"
    assert [(p["id"], p["status"]) for p in seen["payments"]] == [(started["payment"]["id"], "SUCCEEDED")]
    assert [(h["fromStatus"], h["toStatus"], h["actorRole"]) for h in seen["history"]] == [
        (None, "PENDING", "CUSTOMER"),
        ("PENDING", "CONFIRMED", "SYSTEM"),
        ("CONFIRMED", "PAID", "SYSTEM"),
    ]


def test_dummy_declined_then_paid_by_a_new_attempt(gql, customer, place_order, product):
    product.price = "10.13"  # DUMMY declines totals ending in .13
    product.save()
    order = place_order(customer, quantity=1)

    first = initiate(gql, order, customer, key="a")["payment"]
    in_progress = initiate(gql, order, customer, key="b")
    assert codes(in_progress) == ["PAYMENT_IN_PROGRESS"]
    declined = gql(CONFIRM, {"id": first["id"]}, user=customer)["confirmPayment"]["payment"]
    assert declined["status"] == "FAILED" and declined["failureReason"] == "The card was declined."
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED  # a failed attempt leaves the order payable

    again = initiate(gql, order, customer, key="b")
    assert again["__typename"] == "PaymentPayload" and again["payment"]["id"] != first["id"]
    assert Payment.objects.filter(order=order).count() == 2


def test_stripe_checkout_paid_by_webhook(gql, customer, place_order, stripe_settings, http, webhook, drain, mailoutbox):
    order = place_order(customer, method=PaymentMethod.CARD)
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_1",
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": 2000,
        "currency": "usd",
        "payment_intent": None,
    }
    http.add(responses.POST, f"{STRIPE_API}/checkout/sessions", json=session)

    started = initiate(gql, order, customer, key="card-1")

    assert started["nextAction"]["type"] == "REDIRECT"
    assert started["nextAction"]["url"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    assert started["payment"]["providerReference"] == "cs_test_1"
    event = {
        "id": "evt_paid",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {**session, "status": "complete", "payment_status": "paid", "payment_intent": "pi_1"}},
    }
    body, signature = stripe_signed(event)

    assert webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature).status_code == 200
    assert webhook("stripe", body, HTTP_STRIPE_SIGNATURE=signature).json()["duplicate"] is True

    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_paypal_approved_then_captured_by_confirm(gql, customer, place_order, paypal_settings, http, drain, mailoutbox):
    order = place_order(customer, method=PaymentMethod.PAYPAL)
    unit = {"reference_id": order.number, "amount": {"currency_code": "USD", "value": "20.00"}}
    http.add(responses.POST, f"{PAYPAL_API}/v1/oauth2/token", json={"access_token": "tok", "expires_in": 3600})
    http.add(
        responses.POST,
        f"{PAYPAL_API}/v2/checkout/orders",
        json={
            "id": "PP-1",
            "status": "PAYER_ACTION_REQUIRED",
            "purchase_units": [unit],
            "links": [{"rel": "payer-action", "href": "https://www.sandbox.paypal.com/checkoutnow?token=PP-1"}],
        },
    )

    started = initiate(gql, order, customer)
    assert started["nextAction"] == {
        "type": "REDIRECT",
        "url": "https://www.sandbox.paypal.com/checkoutnow?token=PP-1",
        "clientSecret": None,
        "data": None,
    }
    http.add(
        responses.GET,
        f"{PAYPAL_API}/v2/checkout/orders/PP-1",
        json={"id": "PP-1", "status": "APPROVED", "purchase_units": [unit]},
    )
    capture = {"id": "CAP-1", "status": "COMPLETED", "amount": {"currency_code": "USD", "value": "20.00"}}
    http.add(
        responses.POST,
        f"{PAYPAL_API}/v2/checkout/orders/PP-1/capture",
        json={"id": "PP-1", "status": "COMPLETED", "purchase_units": [{**unit, "payments": {"captures": [capture]}}]},
    )

    confirmed = gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)["confirmPayment"]

    assert confirmed["payment"]["status"] == "SUCCEEDED"
    assert Payment.objects.get().provider_data["capture_id"] == "CAP-1"
    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_maya_webhook_confirmed_by_lookup(gql, customer, place_order, maya_settings, http, webhook, drain, mailoutbox):
    order = place_order(customer, method=PaymentMethod.MAYA)
    http.add(
        responses.POST,
        f"{MAYA_API}/checkout/v1/checkouts",
        json={
            "checkoutId": MAYA_ID,
            "redirectUrl": f"https://payments-web-sandbox.paymaya.com/v2/checkout?id={MAYA_ID}",
        },
    )
    started = initiate(gql, order, customer)
    assert started["nextAction"]["type"] == "REDIRECT"
    http.add(
        responses.GET,
        f"{MAYA_API}/payments/v1/payments/{MAYA_ID}",
        json={"id": MAYA_ID, "status": "PAYMENT_SUCCESS", "amount": "20.00", "currency": "USD"},
    )

    response = webhook("maya", json.dumps({"id": MAYA_ID, "status": "PAYMENT_SUCCESS"}), REMOTE_ADDR="13.229.160.234")

    assert response.status_code == 200
    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_epayco_confirmation_signed(gql, customer, place_order, epayco_settings, webhook, drain, mailoutbox):
    order = place_order(customer, method=PaymentMethod.EPAYCO)
    started = initiate(gql, order, customer)
    assert started["nextAction"]["type"] == "CLIENT_CHECKOUT"
    assert started["nextAction"]["data"]["amount"] == "20.00"
    reference = started["payment"]["providerReference"]
    fields = {
        "x_ref_payco": "865",
        "x_transaction_id": "310",
        "x_amount": "20.00",
        "x_currency_code": "USD",
        "x_id_invoice": reference,
        "x_cod_transaction_state": "1",
    }
    fields["x_signature"] = epayco_signature(fields, cust_id="1234567", p_key="epayco-p-key-secret")
    from urllib.parse import urlencode

    response = webhook("epayco", urlencode(fields), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_cod_confirmed_at_initiation_and_paid_by_staff_on_delivery(
    gql, customer, staff, place_order, drain, mailoutbox
):
    order = place_order(customer, method=PaymentMethod.COD)
    started = initiate(gql, order, customer)
    assert started["payment"]["method"] == "COD" and started["nextAction"] is None
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED

    moved = gql(
        'mutation($id: ID!) { updateOrderStatus(orderId: $id, status: PAID, note: "cash collected") {'
        " ... on OrderPayload { order { status payments { status paidAt } } } } }",
        {"id": gid("Order", order.pk)},
        user=staff,
    )["updateOrderStatus"]["order"]

    assert moved["status"] == "PAID"
    assert moved["payments"][0]["status"] == "SUCCEEDED" and moved["payments"][0]["paidAt"]
    change = order.history.get(to_status=OrderStatus.PAID)
    assert change.actor == staff and change.note == "cash collected"
    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_forged_webhook_changes_neither_payment_nor_order(gql, customer, place_order, webhook, drain, mailoutbox):
    order = place_order(customer)
    started = initiate(gql, order, customer)
    body = json.dumps(
        {
            "id": "evt_forged",
            "type": "payment.succeeded",
            "reference": started["payment"]["providerReference"],
            "amount": "20.00",
            "currency": "USD",
        }
    ).encode()

    response = webhook("dummy", body, HTTP_X_DUMMY_SIGNATURE=dummy_signature(body, "not-the-secret"))

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()
    drain()
    assert not [m for m in mailoutbox if "payment received" in m.subject]


def test_the_same_event_twice_moves_the_order_once(gql, customer, place_order, webhook, drain, mailoutbox):
    order = place_order(customer)
    started = initiate(gql, order, customer)
    body = json.dumps(
        {
            "id": "evt_1",
            "type": "payment.succeeded",
            "reference": started["payment"]["providerReference"],
            "amount": "20.00",
            "currency": "USD",
        }
    ).encode()
    headers = {"HTTP_X_DUMMY_SIGNATURE": dummy_signature(body, DUMMY_WEBHOOK_SECRET)}
    other = json.dumps({**json.loads(body), "id": "evt_2"}).encode()

    assert webhook("dummy", body, **headers).status_code == 200
    assert webhook("dummy", body, **headers).json() == {"ok": True, "duplicate": True}
    late = webhook("dummy", other, HTTP_X_DUMMY_SIGNATURE=dummy_signature(other, DUMMY_WEBHOOK_SECRET))
    assert late.json()["outcome"] == "IGNORED"

    assert_paid_once(order, pk_of(started["payment"]["id"]), mailoutbox, drain)


def test_payment_succeeded_partner_webhook_is_recorded_for_a_subscribed_app(gql, customer, place_order):
    from partners.models import AppScope, Webhook
    from partners.services import app_create

    app, _ = app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    hook = Webhook.objects.create(
        app=app, target_url="https://partner.example.com/hook", events=[WebhookEventType.PAYMENT_SUCCEEDED], secret="s"
    )
    order = place_order(customer)
    started = initiate(gql, order, customer)

    gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)

    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert delivery.event == WebhookEventType.PAYMENT_SUCCEEDED
    payment = delivery.payload["payment"]
    assert payment["id"] == started["payment"]["id"]
    assert (payment["status"], payment["amount"], payment["currency"], payment["method"]) == (
        "SUCCEEDED",
        "20.00",
        "USD",
        "DUMMY",
    )
    assert payment["paidAt"] and payment["providerReference"] == started["payment"]["providerReference"]
    assert delivery.payload["order"]["status"] == "PAID"
    assert delivery.payload["order"]["number"] == order.number


def test_amount_mismatch_fails_the_payment_alerts_staff_and_leaves_the_order_unpaid(
    gql, customer, staff, make_user, place_order, webhook, drain, mailoutbox
):
    other_staff = make_user("ops@example.com", staff=True)
    order = place_order(customer)
    started = initiate(gql, order, customer)
    body = json.dumps(
        {
            "id": "evt_short",
            "type": "payment.succeeded",
            "reference": started["payment"]["providerReference"],
            "amount": "2.00",
            "currency": "USD",
        }
    ).encode()

    response = webhook("dummy", body, HTTP_X_DUMMY_SIGNATURE=dummy_signature(body, DUMMY_WEBHOOK_SECRET))
    drain()
    drain()

    assert response.json()["outcome"] == "MISMATCH"
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and "mismatch" in payment.failure_reason.lower()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert not order.history.filter(to_status=OrderStatus.PAID).exists()
    alerts = Notification.objects.filter(kind="PAYMENT_MISMATCH")
    assert sorted(a.user.email for a in alerts) == sorted([staff.email, other_staff.email])
    assert all(order.number in a.title for a in alerts)
    assert not Notification.objects.filter(user=customer, kind="PAYMENT_MISMATCH").exists()
    assert not [m for m in mailoutbox if "payment received" in m.subject]
    # A redelivered alert message notifies nobody twice.
    from commerce.notifications.tasks import alert_staff_payment_mismatch

    alert_staff_payment_mismatch.fn(payment.pk)
    assert Notification.objects.filter(kind="PAYMENT_MISMATCH").count() == 2


def test_success_on_a_cancelled_order_is_refunded_not_an_error(gql, customer, place_order, webhook, drain):
    order = place_order(customer)
    started = initiate(gql, order, customer)
    cancelled = gql(
        "mutation($id: ID!) { cancelOrder(orderId: $id) { ... on OrderPayload { order { status } } } }",
        {"id": gid("Order", order.pk)},
        user=customer,
    )
    assert cancelled["cancelOrder"]["order"]["status"] == "CANCELLED"
    body = json.dumps(
        {
            "id": "evt_late",
            "type": "payment.succeeded",
            "reference": started["payment"]["providerReference"],
            "amount": "20.00",
            "currency": "USD",
        }
    ).encode()

    response = webhook("dummy", body, HTTP_X_DUMMY_SIGNATURE=dummy_signature(body, DUMMY_WEBHOOK_SECRET))
    drain()

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunds.get().amount == payment.amount
    assert not WebhookDelivery.objects.filter(event=WebhookEventType.PAYMENT_SUCCEEDED).exists()


def test_staff_order_status_paid_without_a_cod_payment_just_moves_the_order(gql, staff, customer, place_order):
    order = place_order(customer)
    started = initiate(gql, order, customer)  # DUMMY: not collected by staff

    gql(
        "mutation($id: ID!) { updateOrderStatus(orderId: $id, status: PAID) { __typename } }",
        {"id": gid("Order", order.pk)},
        user=staff,
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(pk=pk_of(started["payment"]["id"])).status == PaymentStatus.PENDING


def test_an_email_outage_keeps_the_payment_and_the_retry_sends_once(
    gql, customer, place_order, settings, run_tasks, mailoutbox
):
    from commerce.models import SentEmail
    from commerce.notifications.tasks import email_order_paid

    order = place_order(customer)
    started = initiate(gql, order, customer)
    settings.EMAIL_BACKEND = "tests.domain.commerce.notifications.failing_mail.EmailBackend"
    gql(CONFIRM, {"id": started["payment"]["id"]}, user=customer)

    with pytest.raises(ConnectionError):  # Dramatiq retries it with backoff, then dead-letters
        email_order_paid.fn(order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert not SentEmail.objects.filter(dedupe_key=f"email:order-paid:{order.pk}").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email_order_paid.fn(order.pk)
    email_order_paid.fn(order.pk)
    assert len([m for m in mailoutbox if "payment received" in m.subject]) == 1
