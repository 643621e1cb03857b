"""Order status through GraphQL (checkout, updateOrderStatus, cancelOrder): the transition table per caller,
stock and refunds on cancellation, ids of other customers' orders."""

import pytest

from commerce.models import OrderStatus, OrderStatusChange, Product, StockMovement
from commerce.orders.status import TRANSITIONS
from infra.models import OutboxMessage
from tests.api.orders.operations import CANCEL, CHECKOUT, UPDATE_STATUS
from tests.conftest import codes, messages
from tests.factories import ORDER_PATH, gid, order_advance

ALL = [s.value for s in OrderStatus]


def _stock(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock_quantity


def _refunds_queued() -> list[int]:
    """The orders whose refund was queued (through the outbox, as the worker gets it)."""
    return [row.args[0] for row in OutboxMessage.objects.filter(actor_name="refund_order_payments").order_by("pk")]


def test_full_flow_cart_checkout_and_every_staff_step(gql, customer, staff, make_product, fill_cart, run_tasks):
    coffee = make_product(stock=5)
    fill_cart(customer, (coffee, 2))
    order = gql(CHECKOUT, {"input": {"paymentMethod": "COD"}}, user=customer)["checkout"]["order"]
    run_tasks()

    for to, next_for_staff in [
        ("CONFIRMED", ["PAID", "CANCELLED"]),
        ("PAID", ["COMPLETED", "CANCELLED"]),
        ("COMPLETED", []),
    ]:
        data = gql(UPDATE_STATUS, {"id": order["id"], "status": to, "note": f"to {to}"}, user=staff)
        moved = data["updateOrderStatus"]["order"]
        assert moved["status"] == to
        assert moved["availableTransitions"] == next_for_staff

    history = gql(
        "query($id: ID!) { order(id: $id) { status history { fromStatus toStatus note actorRole actor { email } } "
        "availableTransitions } }",
        {"id": order["id"]},
        user=customer,
    )["order"]
    assert history["status"] == "COMPLETED"
    assert history["availableTransitions"] == []
    assert [(h["fromStatus"], h["toStatus"], h["note"], h["actorRole"]) for h in history["history"]] == [
        (None, "PENDING", "", "CUSTOMER"),
        ("PENDING", "CONFIRMED", "to CONFIRMED", "STAFF"),
        ("CONFIRMED", "PAID", "to PAID", "STAFF"),
        ("PAID", "COMPLETED", "to COMPLETED", "STAFF"),
    ]
    # A customer sees that staff acted, not who.
    assert [h["actor"] for h in history["history"]] == [{"email": customer.email}, None, None, None]
    assert _stock(coffee) == 3
    # One in-app notification per status change, after the order-placed one; and the "order paid" email.
    assert run_tasks() == 4
    assert customer.notifications.count() == 4


@pytest.mark.parametrize("start", ALL)
def test_staff_can_make_exactly_the_moves_of_the_table(gql, customer, staff, place_order, start):
    order = order_advance(place_order(customer), start)
    for to in ALL:
        if to in TRANSITIONS[start]:
            continue
        data = gql(UPDATE_STATUS, {"id": gid("Order", order.pk), "status": to}, user=staff)["updateOrderStatus"]
        assert codes(data) == ["INVALID_TRANSITION"], (start, to)
        allowed = ", ".join(TRANSITIONS[start]) or "none"
        assert f"Allowed next: {allowed}." in messages(data)[0]["message"]
        order.refresh_from_db()
        assert order.status == start
    assert order.history.count() == 1 + len(ORDER_PATH[start])


@pytest.mark.parametrize("start", ALL)
def test_customer_can_never_use_update_order_status(gql, customer, place_order, start):
    order = order_advance(place_order(customer), start)
    for to in ALL:
        data = gql(UPDATE_STATUS, {"id": gid("Order", order.pk), "status": to}, user=customer)["updateOrderStatus"]
        assert codes(data) == ["PERMISSION_DENIED"]
    order.refresh_from_db()
    assert order.status == start


@pytest.mark.parametrize(("start", "allowed"), [("PENDING", True), ("CONFIRMED", True), ("PAID", False)])
def test_customer_cancels_only_pending_or_confirmed(gql, customer, place_order, start, allowed):
    order = order_advance(place_order(customer), start)
    product = Product.objects.get(pk=order.lines.get().product_id)
    before = _stock(product)

    data = gql(CANCEL, {"id": gid("Order", order.pk), "reason": "changed my mind"}, user=customer)["cancelOrder"]

    order.refresh_from_db()
    if allowed:
        assert data["order"]["status"] == "CANCELLED"
        assert data["order"]["history"][-1]["note"] == "changed my mind"
        assert _stock(product) == before + 2
        assert order.stock_restored_at is not None
    else:
        assert codes(data) == ["INVALID_TRANSITION"]
        assert "Allowed next: none." in messages(data)[0]["message"]
        assert order.status == start
        assert _stock(product) == before


@pytest.mark.parametrize("start", ["COMPLETED", "CANCELLED"])
def test_nobody_cancels_a_finished_order(gql, customer, staff, place_order, start):
    order = order_advance(place_order(customer), start)
    for user in (customer, staff):
        data = gql(CANCEL, {"id": gid("Order", order.pk)}, user=user)["cancelOrder"]
        assert codes(data) == ["INVALID_TRANSITION"]


def test_staff_cancel_a_paid_order_and_a_refund_is_requested(gql, customer, staff, place_order):
    order = order_advance(place_order(customer), "PAID")
    product = Product.objects.get(pk=order.lines.get().product_id)
    data = gql(CANCEL, {"id": gid("Order", order.pk), "reason": "damaged"}, user=staff)["cancelOrder"]
    requested = _refunds_queued()

    assert data["order"]["status"] == "CANCELLED"
    assert requested == [order.pk]
    assert _stock(product) == 10


def test_staff_moving_a_paid_order_to_cancelled_queues_its_refund(gql, customer, staff, place_order):
    order = order_advance(place_order(customer), "PAID")
    data = gql(UPDATE_STATUS, {"id": gid("Order", order.pk), "status": "CANCELLED"}, user=staff)["updateOrderStatus"]

    assert data["order"]["status"] == "CANCELLED"
    assert _refunds_queued() == [order.pk]


def test_refund_is_not_requested_for_unpaid_cancellations(gql, customer, place_order):
    order = place_order(customer)
    gql(CANCEL, {"id": gid("Order", order.pk)}, user=customer)
    requested = _refunds_queued()
    assert requested == []


def test_cancel_twice_restores_stock_once(gql, customer, place_order, make_product):
    product = make_product(stock=10)
    order = place_order(customer, product=product, quantity=4)
    assert _stock(product) == 6

    first = gql(CANCEL, {"id": gid("Order", order.pk)}, user=customer)["cancelOrder"]
    second = gql(CANCEL, {"id": gid("Order", order.pk)}, user=customer)["cancelOrder"]

    assert first["order"]["status"] == "CANCELLED"
    assert codes(second) == ["INVALID_TRANSITION"]
    assert _stock(product) == 10
    assert list(StockMovement.objects.filter(product=product).order_by("id").values_list("delta", flat=True)) == [-4, 4]
    assert OrderStatusChange.objects.filter(order=order, to_status="CANCELLED").count() == 1


def test_another_customers_order_is_not_found(gql, customer, make_user, place_order):
    order = place_order(make_user())
    data = gql(CANCEL, {"id": gid("Order", order.pk)}, user=customer)["cancelOrder"]
    assert codes(data) == ["NOT_FOUND"]
    order.refresh_from_db()
    assert order.status == "PENDING"


def test_wrong_or_unknown_ids_are_not_found(gql, staff):
    for order_id in (gid("Order", 999), gid("User", staff.pk)):
        data = gql(UPDATE_STATUS, {"id": order_id, "status": "PAID"}, user=staff)["updateOrderStatus"]
        assert codes(data) == ["NOT_FOUND"]


def test_anonymous_callers_are_refused(gql, customer, place_order):
    order = place_order(customer)
    assert codes(gql(CANCEL, {"id": gid("Order", order.pk)})["cancelOrder"]) == ["UNAUTHENTICATED"]
    data = gql(UPDATE_STATUS, {"id": gid("Order", order.pk), "status": "PAID"})["updateOrderStatus"]
    assert codes(data) == ["UNAUTHENTICATED"]
