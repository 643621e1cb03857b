"""A webhook's `query` (a subscription document) shapes its payloads: checked
when the webhook is saved, executed as the app at the first delivery attempt,
and POSTed, signed as always, to a real receiver by a real worker."""

import json
import time

import pytest

from accounts.principal import Principal
from commerce.models import Cart, CartLine, Order, PaymentMethod
from partners import services
from partners.models import AppScope, Webhook, WebhookDelivery
from partners.signing import webhook_signature_valid
from tests.conftest import codes, messages
from tests.factories import gid, make_product, order_of_total, order_pinned_for_payloads

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    ... on WebhookPayload { secret webhook { id query events } }
    ... on OperationInfo { messages { code field message } }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) {
    ... on WebhookPayload { webhook { id query events } }
    ... on OperationInfo { messages { code field message } }
  }
}"""
MOVE = """
mutation($id: ID!, $status: OrderStatus!) {
  updateOrderStatus(orderId: $id, status: $status) {
    ... on OrderPayload { order { status } }
    ... on OperationInfo { messages { code } }
  }
}"""
HISTORY = """
query($id: ID!) { order(id: $id) { history { toStatus actor { email } } } }
"""
DELIVERIES = """
{ webhookDeliveries { edges { node { payload errors status } } } }
"""
CHECKOUT = """
mutation { checkout(input: {paymentMethod: DUMMY}) { ... on CheckoutPayload { order { id } } } }
"""
INITIATE = """
mutation($orderId: ID!) { initiatePayment(orderId: $orderId) { ... on PaymentPayload { payment { id } } } }
"""
CONFIRM = """
mutation($id: ID!) { confirmPayment(paymentId: $id) { ... on PaymentPayload { payment { status } } } }
"""
SHAPED = """
subscription Fulfilment {
  orderStatusChanged {
    fromStatus
    toStatus
    order { number total lines { productName quantity } availableTransitions history { toStatus actor { email } } }
  }
}"""


@pytest.fixture
def order(customer) -> Order:
    return order_pinned_for_payloads(customer)


def _app_id(scopes: list[str]) -> str:
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=scopes)
    return gid("App", app.pk)


def _create(gql, staff, receiver, *, query: str | None, events=("ORDER_STATUS_CHANGED",), scopes=None) -> dict:
    variables = {
        "input": {
            "appId": _app_id(scopes or [AppScope.ORDERS_READ]),
            "targetUrl": receiver.url,
            "events": list(events),
            "query": query,
        }
    }
    return gql(CREATE, variables, user=staff)["createWebhook"]


def _order_id(order: Order) -> str:
    return gid("Order", order.pk)


def test_the_payload_is_exactly_the_selected_fields_signed_as_always(gql, staff, receiver, worker, order):
    created = _create(gql, staff, receiver, query=SHAPED)
    assert created["webhook"]["query"] == SHAPED.strip()

    moved = gql(MOVE, {"id": _order_id(order), "status": "COMPLETED"}, user=staff)["updateOrderStatus"]
    assert moved == {"order": {"status": "COMPLETED"}}
    worker()

    [request] = receiver.requests
    assert webhook_signature_valid(
        secret=created["secret"], header=request.headers["x-fmcore-signature"], body=request.body, now=int(time.time())
    )
    body = json.loads(request.body)
    assert set(body) == {"id", "event", "createdAt", "data"}
    assert body["event"] == "ORDER_STATUS_CHANGED"
    assert body["data"] == {
        "orderStatusChanged": {
            "fromStatus": "PAID",
            "toStatus": "COMPLETED",
            "order": {
                "number": order.number,
                "total": "23.80",
                "lines": [{"productName": "Mug", "quantity": 2}],
                # As the app sees it: orders:read alone may move no order, and
                # who on the staff moved it is for staff to see.
                "availableTransitions": [],
                "history": [{"toStatus": "COMPLETED", "actor": None}],
            },
        }
    }
    as_staff = gql(HISTORY, {"id": _order_id(order)}, user=staff)["order"]["history"]
    assert as_staff == [{"toStatus": "COMPLETED", "actor": {"email": staff.email}}]
    [delivery] = gql(DELIVERIES, user=staff)["webhookDeliveries"]["edges"]
    assert delivery["node"] == {"payload": body["data"], "errors": None, "status": "SUCCEEDED"}


def test_the_query_runs_with_the_apps_own_scopes(gql, staff, receiver, worker, customer):
    # availableTransitions answers for the caller: an app that may write orders sees its next moves.
    _create(gql, staff, receiver, query=SHAPED, scopes=[AppScope.ORDERS_READ, AppScope.ORDERS_WRITE])
    pending = order_of_total(customer, method=PaymentMethod.COD)

    gql(MOVE, {"id": _order_id(pending), "status": "CONFIRMED"}, user=staff)
    worker()

    [request] = receiver.requests
    transitions = json.loads(request.body)["data"]["orderStatusChanged"]["order"]["availableTransitions"]
    assert "CANCELLED" in transitions


def test_a_new_order_is_shaped_by_the_same_document(gql, staff, receiver, worker, customer):
    document = "subscription { orderStatusChanged { fromStatus toStatus order { lines { productName } } } }"
    _create(gql, staff, receiver, query=document, events=["ORDER_CREATED"])
    cart, _ = Cart.objects.get_or_create(user=customer)
    mug = make_product("Mug", stock=5)
    CartLine.objects.create(cart=cart, product=mug, variant=mug.variants.get(), quantity=1)

    gql(CHECKOUT, user=customer)
    worker()

    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["event"] == "ORDER_CREATED"
    assert body["data"] == {
        "orderStatusChanged": {"fromStatus": None, "toStatus": "PENDING", "order": {"lines": [{"productName": "Mug"}]}}
    }


def test_without_a_query_the_payload_stays_as_documented(gql, staff, receiver, worker, order):
    created = _create(gql, staff, receiver, query=None)
    assert created["webhook"]["query"] is None

    gql(MOVE, {"id": _order_id(order), "status": "COMPLETED"}, user=staff)
    worker()

    data = json.loads(receiver.requests[0].body)["data"]
    assert data["fromStatus"] == "PAID" and data["toStatus"] == "COMPLETED"
    assert data["order"]["number"] == order.number and data["order"]["customerEmail"] == order.user.email


def test_every_retry_sends_the_body_of_the_first_attempt(gql, staff, receiver, worker, order):
    receiver.statuses = [500]
    _create(gql, staff, receiver, query="subscription { orderStatusChanged { toStatus order { status } } }")

    gql(MOVE, {"id": _order_id(order), "status": "COMPLETED"}, user=staff)
    worker()

    first, second = receiver.requests
    assert first.body == second.body
    assert json.loads(first.body)["data"] == {
        "orderStatusChanged": {"toStatus": "COMPLETED", "order": {"status": "COMPLETED"}}
    }


@pytest.mark.parametrize(
    ("query", "code", "says"),
    [
        ("subscription { orderStatusChanged { toStatus }", "INVALID_WEBHOOK_QUERY", "does not parse"),
        ("subscription { orderStatusChanged { nope } }", "INVALID_WEBHOOK_QUERY", "nope"),
        ("query { me { id } }", "INVALID_WEBHOOK_QUERY", "must be a subscription"),
        (
            "subscription A { orderStatusChanged { toStatus } } subscription B { orderStatusChanged { cursor } }",
            "INVALID_WEBHOOK_QUERY",
            "exactly one operation",
        ),
        (
            "subscription { orderStatusChanged { toStatus } paymentStatusChanged { toStatus } }",
            "INVALID_WEBHOOK_QUERY",
            "only one top level field",
        ),
        (
            "subscription($id: ID) { orderStatusChanged(orderId: $id) { toStatus } }",
            "INVALID_WEBHOOK_QUERY",
            "variables",
        ),
        ('subscription { orderStatusChanged(after: "x") { toStatus } }', "INVALID_WEBHOOK_QUERY", "no arguments"),
        ("subscription { paymentStatusChanged { toStatus } }", "WEBHOOK_QUERY_EVENT_MISMATCH", "ORDER_STATUS_CHANGED"),
    ],
)
def test_an_invalid_query_is_refused_when_saved(gql, staff, receiver, query, code, says):
    answer = _create(gql, staff, receiver, query=query)

    [message] = messages(answer)
    assert (message["code"], message["field"]) == (code, "query")
    assert says in message["message"]
    assert not Webhook.objects.exists()


def test_a_query_over_several_events_needs_one_field_carrying_them_all(gql, staff, receiver):
    document = "subscription { orderStatusChanged { toStatus } }"
    both = _create(gql, staff, receiver, query=document, events=["ORDER_CREATED", "ORDER_STATUS_CHANGED"])
    assert both["webhook"]["events"] == ["ORDER_CREATED", "ORDER_STATUS_CHANGED"]

    mixed = _create(gql, staff, receiver, query=document, events=["ORDER_STATUS_CHANGED", "PAYMENT_SUCCEEDED"])
    assert codes(mixed) == ["WEBHOOK_QUERY_EVENT_MISMATCH"]

    # Adding an event the field does not carry is refused too, and nothing changes.
    webhook_id = both["webhook"]["id"]
    refused = gql(UPDATE, {"id": webhook_id, "input": {"events": ["PAYMENT_SUCCEEDED"]}}, user=staff)
    assert codes(refused["updateWebhook"]) == ["WEBHOOK_QUERY_EVENT_MISMATCH"]
    webhook = Webhook.objects.get()
    assert webhook.events == ["ORDER_CREATED", "ORDER_STATUS_CHANGED"] and webhook.query == document


def test_update_replaces_or_removes_the_query(gql, staff, receiver):
    webhook_id = _create(gql, staff, receiver, query=None)["webhook"]["id"]
    document = "subscription { orderStatusChanged { cursor } }"

    set_ = gql(UPDATE, {"id": webhook_id, "input": {"query": document}}, user=staff)["updateWebhook"]
    assert set_["webhook"]["query"] == document
    bad = gql(UPDATE, {"id": webhook_id, "input": {"query": "subscription { x }"}}, user=staff)["updateWebhook"]
    assert codes(bad) == ["INVALID_WEBHOOK_QUERY"]
    assert Webhook.objects.get().query == document

    removed = gql(UPDATE, {"id": webhook_id, "input": {"query": ""}}, user=staff)["updateWebhook"]
    assert removed["webhook"]["query"] is None


def test_a_payment_webhook_query_selects_the_payment(gql, staff, customer, receiver, worker):
    document = "subscription { paymentStatusChanged { toStatus payment { method amount status } } }"
    _create(gql, staff, receiver, query=document, events=["PAYMENT_SUCCEEDED"])
    order = order_of_total(customer, "5.00")

    initiated = gql(INITIATE, {"orderId": _order_id(order)}, user=customer)["initiatePayment"]
    gql(CONFIRM, {"id": initiated["payment"]["id"]}, user=customer)
    worker()

    [request] = receiver.requests
    assert json.loads(request.body)["data"] == {
        "paymentStatusChanged": {
            "toStatus": "SUCCEEDED",
            "payment": {"method": "DUMMY", "amount": "5.00", "status": "SUCCEEDED"},
        }
    }


def test_deliveries_record_the_errors_of_a_query(gql, staff, receiver, worker, order):
    _create(gql, staff, receiver, query="subscription { orderStatusChanged { toStatus } }")
    gql(MOVE, {"id": _order_id(order), "status": "COMPLETED"}, user=staff)
    # The change the delivery is about is gone (an order purged before the first attempt).
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(subject_id=10**9)
    worker()

    body = json.loads(receiver.requests[0].body)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["NOT_FOUND"]
