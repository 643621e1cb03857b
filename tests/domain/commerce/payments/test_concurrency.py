"""Races between deliveries and confirms, with real row locks (PostgreSQL)."""

import json
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client

from commerce.models import PaymentEvent, PaymentMethod, PaymentStatus
from commerce.payments.providers.dummy import dummy_signature
from commerce.payments.sessions import payment_create
from commerce.settlement.services import payment_confirm
from tests.domain.commerce.payments.provider_fakes import DUMMY_WEBHOOK_SECRET

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dummy_settings"),
]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


def race(*tasks: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(len(tasks))
    results: list[object] = [None] * len(tasks)

    def run(index: int, task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = task()
        except Exception as exc:  # surfaced by the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def signed(payment, event_id: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": event_id,
            "type": "payment.succeeded",
            "reference": payment.provider_reference,
            "amount": str(payment.amount),
            "currency": payment.currency,
        }
    ).encode()
    return body, dummy_signature(body, DUMMY_WEBHOOK_SECRET)


def deliver(body: bytes, signature: str) -> Callable[[], int]:
    def post() -> int:
        response = Client().post(
            "/webhooks/payments/dummy/", data=body, content_type="application/json", HTTP_X_DUMMY_SIGNATURE=signature
        )
        return response.status_code

    return post


def test_the_same_event_delivered_concurrently_is_applied_once(make_order, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    body, signature = signed(payment, "evt_race")

    results = race(*(deliver(body, signature) for _ in range(4)))

    assert results == [200, 200, 200, 200]
    assert PaymentEvent.objects.count() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_webhooks_and_confirms_racing_settle_once(make_order, settled):
    payment = payment_create(order=make_order(), method=PaymentMethod.DUMMY)
    tasks = [deliver(*signed(payment, f"evt_{i}")) for i in range(3)]
    tasks += [lambda: payment_confirm(payment=payment).status for _ in range(3)]

    results = race(*tasks)

    assert results[:3] == [200, 200, 200]
    assert results[3:] == [PaymentStatus.SUCCEEDED] * 3
    assert PaymentEvent.objects.count() == 3
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert settled.calls == [payment.pk]


def test_concurrent_initiations_with_one_key_make_one_payment(make_order):
    order = make_order()

    results = race(
        *(lambda: payment_create(order=order, method=PaymentMethod.DUMMY, idempotency_key="k").pk for _ in range(4))
    )

    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert order.payments.count() == 1


def test_webhook_and_confirm_payment_racing_through_the_api_pay_the_order_once(
    customer, place_order, run_tasks, mailoutbox
):
    from accounts.tokens import token_pair_issue
    from commerce.models import Notification, OrderStatus
    from commerce.settlement.services import payment_initiate
    from tests.api.payments.operations import CONFIRM
    from tests.factories import gid

    order = place_order(customer)
    payment = payment_initiate(actor=customer, order_id=order.pk)
    token = token_pair_issue(user=customer).token

    def confirm() -> str:
        response = Client().post(
            "/graphql/",
            data=json.dumps({"query": CONFIRM, "variables": {"id": gid("Payment", payment.pk)}}),
            content_type="application/json",
            headers={"Authorization": f"JWT {token}"},
        )
        return response.json()["data"]["confirmPayment"]["payment"]["status"]

    results = race(deliver(*signed(payment, "evt_a")), confirm, deliver(*signed(payment, "evt_b")), confirm)

    assert results == [200, "SUCCEEDED", 200, "SUCCEEDED"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.history.filter(to_status=OrderStatus.PAID).count() == 1
    run_tasks()
    run_tasks()
    assert len([m for m in mailoutbox if "payment received" in m.subject]) == 1
    assert Notification.objects.filter(user=customer, title=f"Order {order.number} is paid").count() == 1
