"""The database drops the connection in the middle of a checkout (PostgreSQL).

A trigger terminates the backend as the order lines are written: the
client gets a masked error, nothing of the checkout is written, and the next
request, on a fresh connection, succeeds.
"""

import json

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from commerce.models import CartLine, Order, Product
from tests.api.orders.operations import CHECKOUT
from tests.conftest import access_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KILL_ON_ORDER_LINE = """
CREATE OR REPLACE FUNCTION fm_test_kill_self() RETURNS trigger AS $$
BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER fm_test_kill BEFORE INSERT ON commerce_orderline
FOR EACH ROW EXECUTE FUNCTION fm_test_kill_self();
"""
DISARM = "DROP TRIGGER IF EXISTS fm_test_kill ON commerce_orderline; DROP FUNCTION IF EXISTS fm_test_kill_self();"


def _admin(sql: str) -> None:
    """Run DDL on a connection of its own, outside the one the request uses."""
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as admin:
        admin.execute(sql)


@pytest.fixture
def armed_trigger():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    _admin(KILL_ON_ORDER_LINE)
    yield
    _admin(DISARM)


def _checkout(client, user, *, status: int = 200) -> dict:
    response = client.post(
        "/graphql/",
        data=json.dumps({"query": CHECKOUT, "variables": {"input": {"paymentMethod": "DUMMY"}}}),
        content_type="application/json",
        headers={"Authorization": f"JWT {access_token(user)}"},
    )
    assert response.status_code == status
    return response.json()


def test_a_connection_killed_mid_checkout_writes_nothing_and_the_next_request_succeeds(
    client, customer, make_product, fill_cart, armed_trigger
):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"]
    product = make_product(stock=5)
    fill_cart(customer, (product, 2))

    # A lost database connection is a 503 the client may retry (docs/operations.md).
    body = _checkout(client, customer, status=503)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE" and error["extensions"]["requestId"]
    assert "terminat" not in json.dumps(body), "no internals leak"

    _admin(DISARM)
    assert Order.objects.count() == 0
    assert Product.objects.get(pk=product.pk).stock_quantity == 5
    assert CartLine.objects.filter(cart__user=customer).count() == 1

    retried = _checkout(client, customer)
    assert "errors" not in retried, retried
    assert retried["data"]["checkout"]["order"]["status"] == "PENDING"
    assert Product.objects.get(pk=product.pk).stock_quantity == 3
