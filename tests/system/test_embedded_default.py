"""The embedded default (SQLite, no Redis, the in-process worker) as `make run`
serves it: requests and the worker's jobs write to one SQLite file at once."""

import time
from pathlib import Path

import requests

from fmcore.management.commands.load_demo_data import DEMO_CUSTOMER_EMAIL
from tests.processes import RunningProcess, manage, running_server

FLOWS = 15
LOGIN = "mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p) { ... on TokenPayload { token } } }"
PRODUCTS = "{ products(first: 20, filters: {inStock: true}) { edges { node { id } } } }"
ADD = "mutation($p: ID!) { addToCart(productId: $p, quantity: 1) { __typename } }"
SHIPPING = "{ cart { availableShippingMethods { id } } }"
CHECKOUT = """mutation($key: String!, $ship: ID) {
  checkout(input: {paymentMethod: DUMMY, idempotencyKey: $key, shippingMethodId: $ship}) {
  __typename ... on CheckoutPayload { order { id } } } }"""
INITIATE = """mutation($o: ID!) { initiatePayment(orderId: $o, method: DUMMY) {
  __typename ... on PaymentPayload { payment { id } } } }"""
CONFIRM = """mutation($p: ID!) { confirmPayment(paymentId: $p) {
  __typename ... on PaymentPayload { payment { status } } } }"""
ORDERS = "{ orders(first: 50) { totalCount edges { node { status } } } }"
NOTIFICATIONS = "{ notifications { totalCount } }"


class Customer:
    def __init__(self, server: RunningProcess, email: str, password: str):
        self.server = server
        self.http = requests.Session()
        token = self.call(LOGIN, {"e": email, "p": password})["tokenAuth"]["token"]
        self.http.headers["Authorization"] = f"JWT {token}"

    def call(self, query: str, variables: dict | None = None) -> dict:
        response = self.http.post(
            f"{self.server.url}/graphql/", json={"query": query, "variables": variables or {}}, timeout=60
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, f"{body}\nserver output:\n{self.server.output()}"
        return body["data"]

    def mutate(self, query: str, variables: dict, expected: str) -> dict:
        (payload,) = self.call(query, variables).values()
        assert payload["__typename"] == expected, payload
        return payload


def test_sequential_customer_flows_lose_no_write_while_the_worker_sends_emails(tmp_path: Path):
    database = tmp_path / "db.sqlite3"
    manage("migrate", "--noinput", sqlite=database)
    manage("load_demo_data", "--products", "4", sqlite=database)
    env = {"PAYMENTS_DUMMY_ENABLED": "1"}
    with running_server(sqlite=database, **env) as server:
        customer = Customer(server, DEMO_CUSTOMER_EMAIL, "fmcore-demo-customer")
        products = [edge["node"]["id"] for edge in customer.call(PRODUCTS)["products"]["edges"]]
        placed_before = customer.call(ORDERS)["orders"]["totalCount"]
        ship = customer.call(SHIPPING)["cart"]["availableShippingMethods"][0]["id"]
        for flow in range(FLOWS):
            customer.mutate(ADD, {"p": products[flow % len(products)]}, "CartPayload")
            order = customer.mutate(CHECKOUT, {"key": f"flow-{flow}", "ship": ship}, "CheckoutPayload")["order"]
            payment = customer.mutate(INITIATE, {"o": order["id"]}, "PaymentPayload")["payment"]
            confirmed = customer.mutate(CONFIRM, {"p": payment["id"]}, "PaymentPayload")["payment"]
            assert confirmed["status"] == "SUCCEEDED"

        orders = customer.call(ORDERS)["orders"]
        assert orders["totalCount"] == placed_before + FLOWS
        assert [edge["node"]["status"] for edge in orders["edges"]].count("PAID") == FLOWS
        # The worker's jobs (notifications, emails) all ran, none of them after a lost write.
        deadline = time.monotonic() + 120
        while customer.call(NOTIFICATIONS)["notifications"]["totalCount"] < FLOWS and time.monotonic() < deadline:
            time.sleep(0.5)
        assert customer.call(NOTIFICATIONS)["notifications"]["totalCount"] >= FLOWS
        assert "database is locked" not in server.output()
