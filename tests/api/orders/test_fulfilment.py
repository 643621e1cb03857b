"""`addFulfilment`: staff and `orders:write` apps record shipments of PAID orders;
the customer reads them, gets a "shipped" email and notification; refusals change nothing."""

import pytest
from django.core import mail

from accounts.principal import Principal
from commerce.models import Fulfilment, Notification, Order, OrderStatus
from partners import services as partners
from partners.models import AppScope, WebhookDelivery
from tests.conftest import codes
from tests.factories import gid

pytestmark = pytest.mark.django_db

FULFILMENTS = (
    "fulfilments { id carrier trackingNumber trackingUrl shippedAt lines { quantity orderLine { productName } } }"
)
ADD = f"""
mutation($orderId: ID!, $input: FulfilmentInput!) {{
  addFulfilment(orderId: $orderId, input: $input) {{
    __typename
    ... on OrderPayload {{ order {{ status lines {{ id productName quantity }} {FULFILMENTS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""
ORDER = f"query($id: ID!) {{ order(id: $id) {{ status {FULFILMENTS} }} }}"
SHIPMENT = {"carrier": "DHL", "trackingNumber": "JD0123", "trackingUrl": "https://track.example.com/JD0123"}


def line_ids(order: Order) -> dict[str, str]:
    return {line.product_name: gid("OrderLine", line.pk) for line in order.lines.all()}


def add(gql, order: Order, *, credentials: dict, **shipment) -> dict:
    variables = {"orderId": gid("Order", order.pk), "input": {**SHIPMENT, **shipment}}
    headers = credentials.pop("headers", None)
    return gql(ADD, variables, headers=headers, **credentials)["addFulfilment"]


def shipped(payload: dict) -> list[list[tuple[str, int]]]:
    return [
        [(line["orderLine"]["productName"], line["quantity"]) for line in fulfilment["lines"]]
        for fulfilment in payload["order"]["fulfilments"]
    ]


def test_staff_ship_the_whole_order_and_the_customer_hears_of_it(gql, paid_order, staff, customer, run_tasks):
    before = gql(ORDER, {"id": gid("Order", paid_order.pk)}, user=customer)["order"]  # cached for the customer
    assert before["fulfilments"] == []
    result = add(gql, paid_order, credentials={"user": staff})
    assert result["__typename"] == "OrderPayload"
    assert result["order"]["status"] == "PAID"  # the lifecycle is unchanged
    [fulfilment] = result["order"]["fulfilments"]
    assert fulfilment["carrier"] == "DHL"
    assert fulfilment["trackingNumber"] == "JD0123"
    assert fulfilment["trackingUrl"] == "https://track.example.com/JD0123"
    assert fulfilment["shippedAt"]
    assert shipped(result) == [[("Coffee", 2), ("Tea", 3)]]

    run_tasks()
    [email] = mail.outbox
    assert email.to == [customer.email]
    assert email.subject == f"Your order {paid_order.number} has shipped"
    assert "JD0123" in email.body and "https://track.example.com/JD0123" in email.body
    assert "2 x Coffee" in email.body
    notification = Notification.objects.get(user=customer, kind="ORDER_FULFILLED")
    assert paid_order.number in notification.title
    run_tasks()
    assert len(mail.outbox) == 1  # a redelivered task does not mail twice

    # The customer reads their order's shipments.
    read = gql(ORDER, {"id": gid("Order", paid_order.pk)}, user=customer)["order"]
    assert read["fulfilments"] == result["order"]["fulfilments"]


def test_partial_shipments_add_up_to_the_order_and_no_further(gql, paid_order, staff):
    lines = line_ids(paid_order)
    first = add(gql, paid_order, credentials={"user": staff}, lines=[{"orderLineId": lines["Tea"], "quantity": 1}])
    assert shipped(first) == [[("Tea", 1)]]
    second = add(
        gql,
        paid_order,
        credentials={"user": staff},
        carrier="UPS",
        trackingUrl=None,
        lines=[{"orderLineId": lines["Tea"], "quantity": 2}, {"orderLineId": lines["Coffee"], "quantity": 1}],
    )
    assert shipped(second) == [[("Tea", 1)], [("Tea", 2), ("Coffee", 1)]]
    assert second["order"]["fulfilments"][1]["trackingUrl"] is None

    too_many = add(gql, paid_order, credentials={"user": staff}, lines=[{"orderLineId": lines["Tea"], "quantity": 1}])
    assert codes(too_many) == ["FULFILMENT_EXCEEDS_ORDER"]
    rest = add(gql, paid_order, credentials={"user": staff})  # no lines: what is left
    assert shipped(rest)[-1] == [("Coffee", 1)]
    nothing_left = add(gql, paid_order, credentials={"user": staff})
    assert codes(nothing_left) == ["FULFILMENT_EXCEEDS_ORDER"]
    assert Fulfilment.objects.filter(order=paid_order).count() == 3


def test_over_fulfilling_a_line_is_refused_and_nothing_is_written(gql, paid_order, staff):
    lines = line_ids(paid_order)
    result = add(
        gql,
        paid_order,
        credentials={"user": staff},
        lines=[{"orderLineId": lines["Coffee"], "quantity": 1}, {"orderLineId": lines["Tea"], "quantity": 4}],
    )
    assert codes(result) == ["FULFILMENT_EXCEEDS_ORDER"]
    assert result["messages"][0]["field"] == "lines"
    assert "Only 3 of Tea" in result["messages"][0]["message"]
    assert not Fulfilment.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CONFIRMED, OrderStatus.COMPLETED, "CANCELLED"])
def test_only_paid_orders_ship(gql, order_in, staff, status, run_tasks):
    result = add(gql, order_in(status), credentials={"user": staff})
    assert codes(result) == ["ORDER_NOT_FULFILLABLE"]
    assert not Fulfilment.objects.exists()
    run_tasks()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("shipment", "code", "field"),
    [
        ({"carrier": "  "}, "INVALID_INPUT", "carrier"),
        ({"trackingNumber": ""}, "INVALID_INPUT", "trackingNumber"),
        ({"trackingUrl": "javascript:alert(1)"}, "INVALID_INPUT", "trackingUrl"),
        ({"trackingUrl": "ftp://track.example.com/1"}, "INVALID_INPUT", "trackingUrl"),
        ({"carrier": "x" * 101}, "INVALID_INPUT", "carrier"),
    ],
)
def test_bad_shipment_details_are_refused(gql, paid_order, staff, shipment, code, field):
    result = add(gql, paid_order, credentials={"user": staff}, **shipment)
    assert codes(result) == [code]
    assert result["messages"][0]["field"] == field
    assert not Fulfilment.objects.exists()


def test_lines_must_be_of_this_order_positive_and_named_once(gql, paid_order, staff, place_order, make_user):
    other = place_order(make_user("other@example.com"))
    [other_line] = other.lines.all()
    lines = line_ids(paid_order)
    for bad, code in [
        ([{"orderLineId": gid("OrderLine", other_line.pk), "quantity": 1}], "NOT_FOUND"),
        ([{"orderLineId": lines["Tea"], "quantity": 0}], "INVALID_QUANTITY"),
        ([{"orderLineId": lines["Tea"], "quantity": -1}], "INVALID_QUANTITY"),
        ([{"orderLineId": lines["Tea"], "quantity": 1}] * 2, "INVALID_INPUT"),
        ([{"orderLineId": gid("Order", paid_order.pk), "quantity": 1}], "NOT_FOUND"),
    ]:
        assert codes(add(gql, paid_order, credentials={"user": staff}, lines=bad)) == [code], bad
    assert not Fulfilment.objects.exists()


def test_customers_and_anonymous_callers_cannot_add(gql, paid_order, customer):
    assert codes(add(gql, paid_order, credentials={"user": customer})) == ["PERMISSION_DENIED"]
    assert codes(add(gql, paid_order, credentials={})) == ["UNAUTHENTICATED"]
    assert not Fulfilment.objects.exists()


def test_another_customer_sees_no_fulfilments(gql, paid_order, staff, make_user):
    add(gql, paid_order, credentials={"user": staff})
    assert gql(ORDER, {"id": gid("Order", paid_order.pk)}, user=make_user("nosy@example.com"))["order"] is None


def test_an_app_needs_orders_write(gql, paid_order):
    _, reader = partners.app_create(principal=Principal.system(), name="Analytics", scopes=[AppScope.ORDERS_READ])
    refused = add(gql, paid_order, credentials={"headers": {"Authorization": f"App {reader}"}})
    assert codes(refused) == ["PERMISSION_DENIED"]
    assert not Fulfilment.objects.exists()

    app, writer = partners.app_create(principal=Principal.system(), name="Warehouse", scopes=[AppScope.ORDERS_WRITE])
    result = add(gql, paid_order, credentials={"headers": {"Authorization": f"App {writer}"}})
    assert shipped(result) == [[("Coffee", 2), ("Tea", 3)]]
    assert Fulfilment.objects.get().actor_app == app
