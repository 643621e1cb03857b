"""Partner apps and orders: scoped reads and writes. The webhooks orders emit are
tested in-process in tests/domain/commerce/orders/test_webhooks.py."""

import pytest

from accounts.principal import Principal
from commerce.models import Order, OrderStatus
from partners import services as partners
from partners.models import AppScope
from tests.conftest import codes
from tests.factories import gid

pytestmark = pytest.mark.django_db

ORDERS = "{ orders { totalCount edges { node { number } } } }"
ORDER = "query($id: ID!) { order(id: $id) { number availableTransitions } }"
UPDATE = """mutation($id: ID!, $status: OrderStatus!) {
  updateOrderStatus(orderId: $id, status: $status, note: "picked up") {
    __typename
    ... on OrderPayload { order { status history { toStatus actorRole note } } }
    ... on OperationInfo { messages { code } }
  }
}"""


def as_app(gql, token):
    return lambda query, variables=None: gql(query, variables, headers={"Authorization": f"App {token}"})


@pytest.fixture
def two_orders(customer, make_user, place_order) -> list[Order]:
    return [place_order(customer), place_order(make_user("other@example.com"))]


def test_an_app_with_orders_read_sees_every_order_but_cannot_move_them(gql, two_orders):
    _, token = partners.app_create(principal=Principal.system(), name="Analytics", scopes=[AppScope.ORDERS_READ])
    app = as_app(gql, token)

    assert app(ORDERS)["orders"]["totalCount"] == 2
    order = two_orders[1]
    assert app(ORDER, {"id": gid("Order", order.pk)})["order"]["number"] == order.number

    refused = app(UPDATE, {"id": gid("Order", order.pk), "status": "CONFIRMED"})["updateOrderStatus"]
    assert codes(refused) == ["PERMISSION_DENIED"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_an_app_without_orders_read_sees_no_order(gql, two_orders):
    _, token = partners.app_create(principal=Principal.system(), name="Catalog sync", scopes=[AppScope.CATALOG_WRITE])
    app = as_app(gql, token)
    assert app(ORDERS)["orders"] == {"totalCount": 0, "edges": []}
    assert app(ORDER, {"id": gid("Order", two_orders[0].pk)})["order"] is None


def test_an_app_with_orders_write_moves_orders_by_the_staff_rules(gql, two_orders):
    _, token = partners.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_WRITE])
    app = as_app(gql, token)
    order = two_orders[0]

    moved = app(UPDATE, {"id": gid("Order", order.pk), "status": "CONFIRMED"})["updateOrderStatus"]
    assert moved["order"]["status"] == "CONFIRMED"
    assert moved["order"]["history"][-1] == {"toStatus": "CONFIRMED", "actorRole": "APP", "note": "picked up"}

    skipped = app(UPDATE, {"id": gid("Order", order.pk), "status": "COMPLETED"})["updateOrderStatus"]
    assert codes(skipped) == ["INVALID_TRANSITION"]
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_a_deactivated_app_stops_at_once(gql, two_orders):
    app_row, token = partners.app_create(
        principal=Principal.system(), name="Old", scopes=[AppScope.ORDERS_READ, AppScope.ORDERS_WRITE]
    )
    partners.app_update(principal=Principal.system(), app_id=app_row.pk, is_active=False)
    app = as_app(gql, token)
    assert app(ORDERS)["orders"]["totalCount"] == 0
    assert codes(app(UPDATE, {"id": gid("Order", two_orders[0].pk), "status": "CONFIRMED"})["updateOrderStatus"]) == [
        "UNAUTHENTICATED"
    ]
