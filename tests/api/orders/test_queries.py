from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.principal import Principal
from commerce.models import Order
from commerce.orders.status import order_transition
from tests.api.orders.operations import LATEST, ORDER, ORDER_FIELDS
from tests.conftest import access_token
from tests.factories import gid

ORDERS = f"""
query($filters: OrderFilter, $ordering: [OrderOrder!], $first: Int) {{
  orders(filters: $filters, ordering: $ordering, first: $first) {{
    totalCount
    edges {{ node {{ {ORDER_FIELDS} }} }}
  }}
}}
"""


def numbers(data: dict) -> list[str]:
    return [edge["node"]["number"] for edge in data["orders"]["edges"]]


def test_customers_see_their_own_orders_and_staff_see_all(gql, customer, staff, make_user, place_order):
    mine = [place_order(customer), place_order(customer)]
    theirs = place_order(make_user())

    assert numbers(gql(ORDERS, user=customer)) == [mine[1].number, mine[0].number]
    assert gql(ORDERS, user=staff)["orders"]["totalCount"] == 3
    assert theirs.number in numbers(gql(ORDERS, user=staff))
    assert gql(ORDERS)["orders"] == {"totalCount": 0, "edges": []}


def test_staff_filter_by_status_email_and_dates_and_order(gql, customer, staff, make_user, place_order):
    other = make_user("zed@example.com")
    old = place_order(customer)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    paid = place_order(other)
    order_transition(order=paid, to="CONFIRMED", principal=Principal.for_user(staff))
    order_transition(order=paid, to="PAID", principal=Principal.for_user(staff))
    recent = place_order(customer)

    assert numbers(gql(ORDERS, {"filters": {"status": "PAID"}}, user=staff)) == [paid.number]
    assert numbers(gql(ORDERS, {"filters": {"userEmail": "ZED@"}}, user=staff)) == [paid.number]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert numbers(gql(ORDERS, {"filters": {"createdAfter": since}}, user=staff)) == [recent.number, paid.number]
    assert numbers(gql(ORDERS, {"filters": {"createdBefore": since}}, user=staff)) == [old.number]
    ascending = gql(ORDERS, {"ordering": [{"createdAt": "ASC"}]}, user=staff)
    assert numbers(ascending) == [old.number, paid.number, recent.number]
    # A customer's filters only ever narrow their own orders.
    assert numbers(gql(ORDERS, {"filters": {"userEmail": "zed"}}, user=customer)) == []


def test_order_is_for_its_owner_and_staff_only(gql, customer, staff, make_user, place_order):
    order = place_order(customer)
    variables = {"id": gid("Order", order.pk)}

    assert gql(ORDER, variables, user=customer)["order"]["number"] == order.number
    assert gql(ORDER, variables, user=staff)["order"]["number"] == order.number
    assert gql(ORDER, variables, user=make_user())["order"] is None
    assert gql(ORDER, variables)["order"] is None
    assert gql(ORDER, {"id": gid("User", customer.pk)}, user=customer)["order"] is None


def test_latest_order_is_cached_per_user_and_never_leaks(
    gql, customer, make_user, place_order, django_capture_on_commit_callbacks
):
    other = make_user()
    assert gql(LATEST, user=customer)["latestOrder"] is None
    first = place_order(customer)
    # The cached "no order" answer was dropped when the order committed.
    assert gql(LATEST, user=customer)["latestOrder"]["number"] == first.number

    # The owner's reads filled the cache; another user still sees nothing of it.
    assert gql(ORDER, {"id": gid("Order", first.pk)}, user=customer)["order"]["number"] == first.number
    assert gql(LATEST, user=other)["latestOrder"] is None
    assert gql(ORDER, {"id": gid("Order", first.pk)}, user=other)["order"] is None

    second = place_order(customer)
    assert gql(LATEST, user=customer)["latestOrder"]["number"] == second.number
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order=second, to="CANCELLED", principal=Principal.for_user(customer))
    latest = gql(LATEST, user=customer)["latestOrder"]
    assert (latest["number"], latest["status"]) == (second.number, "CANCELLED")


@pytest.mark.parametrize("count", [2, 20])
def test_orders_query_count_is_constant(
    gql, customer, staff, make_product, place_order, django_assert_num_queries, count
):
    product = make_product(stock=1000)
    for _ in range(count):
        order = place_order(customer, product=product, quantity=1)
        order_transition(order=order, to="CONFIRMED", principal=Principal.for_user(staff))

    token = access_token(staff)
    # The caller + orders with their count + lines + history with actors.
    with django_assert_num_queries(4):
        data = gql(ORDERS, token=token)
    assert data["orders"]["totalCount"] == count
    assert all(len(edge["node"]["history"]) == 2 for edge in data["orders"]["edges"])
