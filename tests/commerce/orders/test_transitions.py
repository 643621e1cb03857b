"""order_transition and available_transitions, called as services: who may move an order
where, and the status checked under the lock."""

import pytest

from commerce.errors import InvalidTransition
from commerce.models import Order
from commerce.orders.status import available_transitions, order_transition
from tests.factories import order_advance


def test_available_transitions_depend_on_the_caller(customer, staff, make_user, place_order):
    order = place_order(customer)
    assert available_transitions(order=order, actor=customer) == ["CANCELLED"]
    assert available_transitions(order=order, actor=staff) == ["CONFIRMED", "CANCELLED"]
    assert available_transitions(order=order, actor=make_user()) == []
    paid = order_advance(order, "PAID")
    assert available_transitions(order=paid, actor=customer) == []
    assert available_transitions(order=paid, actor=staff) == ["COMPLETED", "CANCELLED"]


def test_order_transition_checks_the_status_it_reads_under_the_lock(customer, place_order):
    order = place_order(customer)
    stale = Order.objects.get(pk=order.pk)
    order_transition(order=order, to="CANCELLED", actor=customer)
    # `stale` still says PENDING in memory; the locked row says CANCELLED.
    with pytest.raises(InvalidTransition):
        order_transition(order=stale, to="CONFIRMED", actor=None)


def test_an_unknown_status_is_an_invalid_transition(customer, place_order):
    order = place_order(customer)
    with pytest.raises(InvalidTransition):
        order_transition(order=order, to="SHIPPED", actor=None)
    order.refresh_from_db()
    assert order.status == "PENDING"
