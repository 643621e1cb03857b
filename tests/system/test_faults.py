"""Faults: a dependency really breaks (a Redis we start and kill) and fm-core keeps serving."""

import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from commerce.catalog.options import default_variants_seed
from commerce.models import Category, Product
from tests.conftest import DEFAULT_PASSWORD
from tests.factories import gid

pytestmark = pytest.mark.django_db

ADD_TO_CART = "mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { ... on CartPayload { cart { total } } } }"
CHECKOUT = "mutation { checkout(input: {paymentMethod: COD}) { ... on CheckoutPayload { order { status } } } }"
TOKEN_AUTH = """mutation($email: String!, $password: String!) {
  tokenAuth(email: $email, password: $password) {
    __typename ... on OperationInfo { messages { code } }
  }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis():
    """A private redis-server that the test may kill."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    cache_settings = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with override_settings(CACHES=cache_settings):
        yield process, client
    process.kill()
    process.wait()
    caches["default"].close()


def test_login_health_and_checkout_survive_redis_dying(gql, client, customer, own_redis):
    process, redis_client = own_redis
    variables = {"email": customer.email, "password": "wrong"}
    assert gql(TOKEN_AUTH, variables)["tokenAuth"]["messages"][0]["code"] == "INVALID_CREDENTIALS"
    assert any(b"throttle" in key for key in redis_client.keys("*")), "throttling state lives in Redis"
    assert client.get("/health/").json()["cache"] == "ok"

    process.kill()
    process.wait()

    ok = gql(TOKEN_AUTH, {"email": customer.email, "password": DEFAULT_PASSWORD})
    assert ok["tokenAuth"]["__typename"] == "TokenPayload", "throttling counts in the database without its store"
    health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["cache"] == "unavailable"
    assert health.json()["database"] == "ok"

    # Shopping goes on without the cache: catalog reads, the cart, checkout.
    category = Category.objects.create(name="Tea", slug="tea")
    product = Product.objects.create(name="Sencha", slug="sencha", price="4.50", stock_quantity=3, category=category)
    default_variants_seed([product])
    assert gql('{ product(slug: "sencha") { name } }')["product"] == {"name": "Sencha"}
    added = gql(ADD_TO_CART, {"p": gid("Product", product.pk)}, user=customer)["addToCart"]
    assert added["cart"]["total"] == "9.00"
    placed = gql(CHECKOUT, user=customer)["checkout"]
    assert placed["order"]["status"] == "PENDING"
    product.refresh_from_db()
    assert product.stock_quantity == 1


@override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example.com"])
def test_cors_only_for_allowed_origins(client):
    preflight = {"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"}
    allowed = client.options("/graphql/", headers=preflight)
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    refused = client.options("/graphql/", headers={**preflight, "Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in refused.headers
