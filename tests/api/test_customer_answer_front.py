"""A customer's cart and orders answers served as bytes in front of Django (schema/front_cache.py),
through a real server on PostgreSQL and Redis: Django's own bytes, served without Django, never to
another caller, and every write path seen by the next read (or its error)."""

import uuid
from datetime import timedelta
from itertools import count

import redis
import requests
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import override_settings

from schema.front_cache import CustomerTokenCheck
from tests.api.accounts.operations import CHANGE_PASSWORD, DEACTIVATE, LOGOUT, REVOKE, TOKEN_AUTH, UPDATE_PROFILE
from tests.api.test_answer_front import access_line, answer_of
from tests.api.test_customer_cache import ADD, ADJUST_STOCK, CHECKOUT, REMOVE_LINE, STATUS, UPDATE_LINE, UPDATE_PRODUCT
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import gid, make_product
from tests.processes import process_env, process_token, running_server
from tests.system.test_observability import real_processes

CART = """query Cart { cart { itemCount subtotal discount shipping voucherCode
  lines { id quantity unitPrice product { price stockQuantity } }
  availableShippingMethods { name price } } }"""
ORDERS = """query Orders { orders(first: 10) { totalCount edges { node { number status availableTransitions
  user { firstName } } } } }"""
CREATE_VOUCHER = """mutation ($input: VoucherInput!) {
  createVoucher(input: $input) { ... on VoucherPayload { voucher { id } } } }"""
UPDATE_VOUCHER = """mutation ($id: ID!, $input: VoucherUpdateInput!) {
  updateVoucher(id: $id, input: $input) { __typename } }"""
APPLY_VOUCHER = "mutation ($c: String!) { applyVoucher(code: $c) { __typename } }"
CREATE_SHIPPING = """mutation ($input: ShippingMethodInput!) {
  createShippingMethod(input: $input) { ... on ShippingMethodPayload { shippingMethod { id } } } }"""
UPDATE_SHIPPING = """mutation ($id: ID!, $input: ShippingMethodUpdateInput!) {
  updateShippingMethod(id: $id, input: $input) { __typename } }"""
SET_SHIPPING = "mutation ($s: ID!) { setCartShippingMethod(shippingMethodId: $s) { __typename } }"
CREATE_ADDRESS = "mutation ($input: AddressInput!) { createAddress(input: $input) { __typename } }"
PRODUCT = 'query { product(slug: "lamp") { slug price } }'


def execution_cache_forget() -> None:
    """Drop the answers cached inside GraphQL execution (customer_cache.py), keeping the front's:
    a read then answered with the token check's statement alone was answered before Django ran."""
    client = redis.Redis.from_url(process_env()["REDIS_URL"])
    for key in client.scan_iter(match="*gql:customer:*"):
        client.delete(key)


class Client:
    def __init__(self, server):
        self.server = server
        self.request_ids = (f"req-{uuid.uuid4().hex[:8]}-{n}" for n in count())

    def post(self, document: str, token: str | None = None, variables: dict | None = None) -> requests.Response:
        request_id = next(self.request_ids)
        headers = {"X-Request-ID": request_id} | ({"Authorization": f"JWT {token}"} if token else {})
        body = {"query": document, "variables": variables or {}}
        return requests.post(f"{self.server.url}/graphql/", json=body, headers=headers, timeout=30)

    def write(self, document: str, token: str, **variables) -> dict:
        answer = self.post(document, token, variables).json()
        assert "errors" not in answer, answer
        return answer["data"]

    def front_served(self, document: str, token: str) -> requests.Response:
        """Read until the front stores the answer, then a read that the front serves."""
        self.post(document, token)  # may mint version tokens: not stored
        stored = self.post(document, token)
        execution_cache_forget()
        served = self.post(document, token)
        line = access_line(self.server, served.headers["X-Request-ID"])
        assert line["sql_queries"] == 1, (line, served.text)  # the token check, and no Django
        assert answer_of(served) == answer_of(stored)
        return served

    def read(self, document: str, token: str) -> dict:
        answer = self.post(document, token).json()
        assert "errors" not in answer, answer
        return answer["data"]

    def token_pair(self, email: str, password: str = DEFAULT_PASSWORD) -> tuple[str, str]:
        answer = self.post(TOKEN_AUTH, variables={"email": email, "password": password}).json()
        pair = answer["data"]["tokenAuth"]
        assert "token" in pair, answer
        return pair["token"], pair["refreshToken"]


def token_check_connections() -> int:
    """The front's token check connections to this session's database (opened at its first check)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [CustomerTokenCheck.APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


def refused(response: requests.Response) -> str:
    assert response.json()["data"] is None, response.text
    return response.json()["errors"][0]["extensions"]["code"]


@real_processes
def test_a_front_hit_is_django_answer_for_that_customer_only(customer, make_user, staff):
    lamp = make_product(slug="lamp", price="10.00", stock=10)
    other = make_user()
    with running_server() as server:
        client = Client(server)
        token, other_token = process_token(customer), process_token(other)
        client.write(ADD, token, p=gid("Product", lamp.pk), q=2)

        served = client.front_served(CART, token)
        line = access_line(server, served.headers["X-Request-ID"])
        assert (line["operation_name"], line["operation_type"], line["user_id"]) == ("Cart", "query", customer.pk)
        assert served.json()["data"]["cart"]["itemCount"] == 2
        assert client.front_served(ORDERS, token).json()["data"]["orders"]["totalCount"] == 0

        # Another customer, the same document: their own (empty) cart, never this one.
        assert client.read(CART, other_token)["cart"]["itemCount"] == 0
        assert client.front_served(CART, other_token).json()["data"]["cart"]["itemCount"] == 0
        assert client.read(CART, token)["cart"]["itemCount"] == 2
        # Staff are answered by Django every time.
        for _ in range(3):
            staff_read = client.post(CART, process_token(staff))
            assert staff_read.json()["data"]["cart"]["itemCount"] == 0
        execution_cache_forget()
        assert access_line(server, client.post(CART, process_token(staff)).headers["X-Request-ID"])["sql_queries"] > 1

        # Tokens the front cannot vouch for get Django's answer, as without it.
        with override_settings(JWT_ACCESS_TTL=timedelta(seconds=-1)):
            expired = process_token(customer)
        assert refused(client.post(CART, expired)) == "TOKEN_EXPIRED"
        assert refused(client.post(CART, token[:-2] + "xx")) == "INVALID_TOKEN"


@real_processes
def test_only_requests_marked_cacheable_before_are_checked_in_front(customer):
    make_product(slug="lamp", price="10.00")
    with running_server() as server:
        client = Client(server)
        token = process_token(customer)
        for _ in range(3):  # a product read is never a customer answer: Django alone checks its token
            assert client.read(PRODUCT, token)["product"]["slug"] == "lamp"
        assert token_check_connections() == 0
        client.front_served(CART, token)
        assert token_check_connections() >= 1


@real_processes
def test_every_write_path_shows_in_the_next_read(customer, superuser):
    lamp = make_product(slug="lamp", price="10.00", stock=10)
    customer.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")  # one the server checks
    customer.save(update_fields=["password"])
    with running_server() as server:
        client = Client(server)
        token, refresh = client.token_pair(customer.email)
        staff = process_token(superuser)
        product = gid("Product", lamp.pk)

        def cart() -> dict:
            return client.read(CART, token)["cart"]

        def orders() -> dict:
            return client.read(ORDERS, token)["orders"]

        client.write(ADD, token, p=product, q=2)
        client.front_served(CART, token)
        client.write(ADD, token, p=product, q=1)
        assert cart()["itemCount"] == 3

        client.front_served(CART, token)
        line = cart()["lines"][0]["id"]
        client.write(UPDATE_LINE, token, l=line, q=5)
        assert cart()["lines"][0]["quantity"] == 5

        client.front_served(CART, token)
        client.write(REMOVE_LINE, token, l=line)
        assert cart()["lines"] == []
        client.write(ADD, token, p=product, q=2)

        client.front_served(CART, token)
        client.write(UPDATE_PRODUCT, staff, id=product, input={"price": "12.00"})
        assert cart()["lines"][0]["unitPrice"] == "12.00"

        client.front_served(CART, token)
        client.write(ADJUST_STOCK, staff, p=product, d=-3)
        assert cart()["lines"][0]["product"]["stockQuantity"] == 7

        voucher = client.write(CREATE_VOUCHER, staff, input={"code": "TEN", "kind": "PERCENTAGE", "value": "10"})
        client.write(APPLY_VOUCHER, token, c="TEN")
        assert client.front_served(CART, token).json()["data"]["cart"]["discount"] == "2.40"
        client.write(UPDATE_VOUCHER, staff, id=voucher["createVoucher"]["voucher"]["id"], input={"value": "50"})
        assert cart()["discount"] == "12.00"

        method = client.write(CREATE_SHIPPING, staff, input={"name": "Post", "price": "5.00", "countries": ["PT"]})
        method_id = method["createShippingMethod"]["shippingMethod"]["id"]
        assert client.front_served(CART, token).json()["data"]["cart"]["availableShippingMethods"] == []
        address = {"fullName": "Cora", "line1": "Rua 1", "city": "Lisbon", "country": "PT", "isDefault": True}
        client.write(CREATE_ADDRESS, token, input=address)
        assert cart()["availableShippingMethods"] == [{"name": "Post", "price": "5.00"}]
        client.write(SET_SHIPPING, token, s=method_id)
        client.front_served(CART, token)
        client.write(UPDATE_SHIPPING, staff, id=method_id, input={"price": "6.00"})
        assert cart()["shipping"] == "6.00"

        client.front_served(ORDERS, token)
        client.front_served(CART, token)
        assert client.write(CHECKOUT, token)["checkout"]["__typename"] == "CheckoutPayload"
        assert cart()["itemCount"] == 0
        placed = orders()
        assert placed["totalCount"] == 1

        client.front_served(ORDERS, token)
        order = client.read("{ orders(first: 1) { edges { node { id } } } }", token)["orders"]["edges"][0]["node"]
        to = placed["edges"][0]["node"]["availableTransitions"][0]
        client.write(STATUS, staff, o=order["id"], s=to)
        assert orders()["edges"][0]["node"]["status"] == to

        client.front_served(ORDERS, token)
        client.write(UPDATE_PROFILE, token, input={"firstName": "Corinne"})
        assert orders()["edges"][0]["node"]["user"]["firstName"] == "Corinne"

        client.front_served(CART, token)
        client.write(LOGOUT, token)
        assert refused(client.post(CART, token)) == "INVALID_TOKEN"

        token, refresh = client.token_pair(customer.email)
        client.front_served(CART, token)
        client.write(REVOKE, token, refreshToken=refresh)
        assert refused(client.post(CART, token)) == "INVALID_TOKEN"

        token, refresh = client.token_pair(customer.email)
        client.front_served(ORDERS, token)
        client.write(CHANGE_PASSWORD, token, oldPassword=DEFAULT_PASSWORD, newPassword="another-Horse-battery-7")
        assert refused(client.post(ORDERS, token)) == "INVALID_TOKEN"

        token, refresh = client.token_pair(customer.email, "another-Horse-battery-7")
        client.front_served(ORDERS, token)
        client.write(DEACTIVATE, token, password="another-Horse-battery-7")
        assert refused(client.post(ORDERS, token)) == "INVALID_TOKEN"
