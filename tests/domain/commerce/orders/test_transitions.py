"""order_transition and available_transitions, called as services: who may move an order
where, and the status checked under the lock."""

import pytest

from accounts.principal import Principal
from commerce.errors import InvalidTransition
from commerce.models import Order, Product
from commerce.orders.status import available_transitions, order_transition
from infra.models import OutboxMessage
from tests.factories import order_advance


def test_available_transitions_depend_on_the_caller(customer, staff, make_user, place_order):
    order = place_order(customer)
    assert available_transitions(order=order, principal=Principal.for_user(customer)) == ["CANCELLED"]
    assert available_transitions(order=order, principal=Principal.for_user(staff)) == ["CONFIRMED", "CANCELLED"]
    assert available_transitions(order=order, principal=Principal.for_user(make_user())) == []
    paid = order_advance(order, "PAID")
    assert available_transitions(order=paid, principal=Principal.for_user(customer)) == []
    assert available_transitions(order=paid, principal=Principal.for_user(staff)) == ["COMPLETED", "CANCELLED"]


def test_order_transition_checks_the_status_it_reads_under_the_lock(customer, place_order):
    order = place_order(customer)
    stale = Order.objects.get(pk=order.pk)
    order_transition(order=order, to="CANCELLED", principal=Principal.for_user(customer))
    # `stale` still says PENDING in memory; the locked row says CANCELLED.
    with pytest.raises(InvalidTransition):
        order_transition(order=stale, to="CONFIRMED", principal=Principal.system())


def test_an_unknown_status_is_an_invalid_transition(customer, place_order):
    order = place_order(customer)
    with pytest.raises(InvalidTransition):
        order_transition(order=order, to="SHIPPED", principal=Principal.system())
    order.refresh_from_db()
    assert order.status == "PENDING"


@pytest.mark.parametrize("actor", ["staff", None])
def test_a_paid_order_is_not_cancelled_past_settlement(request, customer, place_order, actor):
    """`order_transition` is public: called directly it would cancel a PAID order
    without the refund settlement queues, so it refuses that move."""
    order = order_advance(place_order(customer), "PAID")
    product = Product.objects.get(pk=order.lines.get().product_id)
    with pytest.raises(InvalidTransition, match=r"through commerce\.settlement"):
        order_transition(
            order=order,
            to="CANCELLED",
            principal=Principal.for_user(request.getfixturevalue(actor)) if actor else Principal.system(),
        )

    order.refresh_from_db()
    assert order.status == "PAID"
    assert order.history.filter(to_status="CANCELLED").count() == 0
    product.refresh_from_db()
    assert product.stock_quantity == 8
    assert not OutboxMessage.objects.filter(actor_name="refund_order_payments").exists()
