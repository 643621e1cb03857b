"""ORDER_FULFILLED: a shipment recorded through `addFulfilment` reaches a real
receiver as a signed POST with the documented payload (docs/partners.md)."""

import json
import time
from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.principal import Principal
from commerce.models import Order, OrderStatus
from partners import services
from partners.models import AppScope, WebhookEventType
from partners.signing import webhook_signature_valid
from tests.factories import gid, make_product, order_advance, order_place

pytestmark = pytest.mark.django_db(transaction=True)

ADD = """
mutation($orderId: ID!, $input: FulfilmentInput!) {
  addFulfilment(orderId: $orderId, input: $input) {
    ... on OrderPayload { order { fulfilments { id } } }
    ... on OperationInfo { messages { code } }
  }
}
"""


@pytest.fixture
def paid_order(customer) -> Order:
    product = make_product("Kettle", price="30.00")
    with override_settings(TAX_RATE=Decimal("0")):
        order = order_place(customer, (product, 2))
    return order_advance(order, OrderStatus.PAID)


def test_a_shipment_is_delivered_signed_to_the_subscribed_app(gql, paid_order, staff, receiver, worker):
    app, _ = services.app_create(principal=Principal.system(), name="ERP", scopes=[AppScope.ORDERS_READ])
    _, secret = services.webhook_create(
        principal=Principal.system(), app_id=app.pk, target_url=receiver.url, events=[WebhookEventType.ORDER_FULFILLED]
    )
    line = paid_order.lines.get()
    shipment = {
        "carrier": "DHL",
        "trackingNumber": "JD0123",
        "trackingUrl": "https://track.example.com/JD0123",
        "lines": [{"orderLineId": gid("OrderLine", line.pk), "quantity": 1}],
    }
    result = gql(ADD, {"orderId": gid("Order", paid_order.pk), "input": shipment}, user=staff)["addFulfilment"]
    [fulfilment] = result["order"]["fulfilments"]
    worker()

    [request] = receiver.requests
    assert request.headers["x-fmcore-event"] == "ORDER_FULFILLED"
    assert webhook_signature_valid(
        secret=secret, header=request.headers["x-fmcore-signature"], body=request.body, now=int(time.time())
    )
    body = json.loads(request.body)
    assert body["event"] == "ORDER_FULFILLED"
    data = body["data"]
    assert data["order"]["number"] == paid_order.number
    assert data["order"]["status"] == "PAID"
    assert data["fulfilment"] == {
        "id": fulfilment["id"],
        "carrier": "DHL",
        "trackingNumber": "JD0123",
        "trackingUrl": "https://track.example.com/JD0123",
        "shippedAt": data["fulfilment"]["shippedAt"],
        "lines": [{"orderLineId": gid("OrderLine", line.pk), "productName": "Kettle", "quantity": 1}],
    }


def test_apps_not_subscribed_to_it_get_nothing(gql, paid_order, staff, receiver, worker):
    app, _ = services.app_create(principal=Principal.system(), name="ERP", scopes=[AppScope.ORDERS_READ])
    services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=receiver.url,
        events=[WebhookEventType.ORDER_STATUS_CHANGED],
    )
    gql(ADD, {"orderId": gid("Order", paid_order.pk), "input": {"carrier": "DHL", "trackingNumber": "1"}}, user=staff)
    worker()
    assert receiver.requests == []


def test_a_query_over_order_fulfilled_shapes_the_payload(gql, paid_order, staff, receiver, worker):
    app, _ = services.app_create(principal=Principal.system(), name="ERP", scopes=[AppScope.ORDERS_READ])
    services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url=receiver.url,
        events=[WebhookEventType.ORDER_FULFILLED],
        query="subscription { orderFulfilled { order { number } fulfilment { carrier trackingNumber } } }",
    )
    gql(ADD, {"orderId": gid("Order", paid_order.pk), "input": {"carrier": "DHL", "trackingNumber": "1"}}, user=staff)
    worker()

    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "ORDER_FULFILLED"
    assert body["data"] == {
        "orderFulfilled": {
            "order": {"number": paid_order.number},
            "fulfilment": {"carrier": "DHL", "trackingNumber": "1"},
        }
    }
    assert "errors" not in body
