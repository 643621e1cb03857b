"""Every list costs the same number of SQL queries at any page size.

The benchmark's own documents (bench/operations.py) are pinned here too, so a
change that adds a query per row fails CI before it shows in `make bench`.
Counts include authenticating a token where one is sent.
"""

import pytest

from accounts.principal import Principal
from bench import operations
from commerce.models import (
    Cart,
    CartLine,
    Fulfilment,
    FulfilmentLine,
    Notification,
    Order,
    PaymentMethod,
    ProductVariant,
)
from partners import services as partner_services
from partners.models import AppScope, Webhook
from tests.factories import make_category, make_product, order_place

pytestmark = pytest.mark.django_db

SIZES = [2, 20]


def make_orders(user, count: int, *, lines: int = 3) -> None:
    """`count` orders of `user`'s, each of one unit of the same `lines` products."""
    category = make_category()
    products = [make_product(category=category, images=2, stock=count) for _ in range(lines)]
    for _ in range(count):
        order_place(user, *((product, 1) for product in products), method=PaymentMethod.COD)


@pytest.mark.parametrize("size", SIZES)
def test_bench_product_list(gql, django_assert_num_queries, size):
    category = make_category()
    for _ in range(size):
        make_product(category=category, images=2)
    with django_assert_num_queries(2):  # products with categories and the count + images
        data = gql(operations.PRODUCT_LIST, {"first": 20})
    assert len(data["products"]["edges"]) == size
    assert all(len(edge["node"]["images"]) == 2 for edge in data["products"]["edges"])


@pytest.mark.parametrize("size", SIZES)
def test_bench_cart(gql, customer, django_assert_num_queries, size):
    cart = Cart.objects.create(user=customer)
    for _ in range(size):
        product = make_product(images=2)
        CartLine.objects.create(cart=cart, product=product, variant=product.variants.get(), quantity=1)
    # token (2) + cart + lines with products and categories + images (then cached)
    with django_assert_num_queries(5):
        data = gql(operations.CART, user=customer)
    assert len(data["cart"]["lines"]) == size


@pytest.mark.parametrize("size", SIZES)
def test_bench_orders(gql, customer, django_assert_num_queries, size):
    make_orders(customer, size)
    with django_assert_num_queries(4):  # token (2) + orders with the count + lines
        data = gql(operations.ORDERS, {"first": 20}, user=customer)
    assert data["orders"]["totalCount"] == size
    assert all(len(edge["node"]["lines"]) == 3 for edge in data["orders"]["edges"])


ORDERS_DEEP = """query ($first: Int!) {
  orders(first: $first) { edges { node { number user { email }
    lines { productName product { slug category { name } images { url } } }
    history { toStatus actor { email } } } } }
}"""
ORDERS_SHIPPED = """query ($first: Int!) {
  orders(first: $first) { edges { node { number
    fulfilments { carrier trackingNumber trackingUrl shippedAt lines { quantity orderLine { id productName } } } } } }
}"""


@pytest.mark.parametrize("size", SIZES)
def test_orders_with_products_and_history(gql, staff, customer, django_assert_num_queries, size):
    make_orders(customer, size)
    # token (2) + orders with users + lines with products and categories + images + history with actors
    with django_assert_num_queries(6):
        data = gql(ORDERS_DEEP, {"first": 20}, user=staff)
    nodes = [edge["node"] for edge in data["orders"]["edges"]]
    assert len(nodes) == size
    assert all(len(node["lines"][0]["product"]["images"]) == 2 for node in nodes)


PRODUCTS_WITH_VARIANTS = """query ($first: Int!) {
  products(first: $first) { edges { node { name stockQuantity options { name values }
    variants { id sku name price stockQuantity inStock options { name value } } } } }
}"""


@pytest.mark.parametrize("size", SIZES)
def test_product_list_with_variants(gql, django_assert_num_queries, size):
    category = make_category()
    for n in range(size):
        product = make_product(category=category, options=[{"name": "Size", "values": ["S", "M", "L"]}])
        product.variants.all().delete()  # the factory's default variant
        ProductVariant.objects.bulk_create(
            ProductVariant(product=product, sku=f"V{n}-{size}", name=size, options={"Size": size}, stock_quantity=2)
            for size in ("S", "M", "L")
        )
    with django_assert_num_queries(2):  # products with categories + variants
        data = gql(PRODUCTS_WITH_VARIANTS, {"first": 20})
    nodes = [edge["node"] for edge in data["products"]["edges"]]
    assert len(nodes) == size
    assert all([v["name"] for v in node["variants"]] == ["S", "M", "L"] for node in nodes)


ORDERS_WITH_VARIANTS = """query ($first: Int!) {
  orders(first: $first) { edges { node { number lines { sku variantName variant { sku price stockQuantity } } } } }
}"""


@pytest.mark.parametrize("size", SIZES)
def test_orders_with_variants(gql, customer, django_assert_num_queries, size):
    make_orders(customer, size)
    with django_assert_num_queries(4):  # token (2) + orders + lines with variants and their products
        data = gql(ORDERS_WITH_VARIANTS, {"first": 20}, user=customer)
    nodes = [edge["node"] for edge in data["orders"]["edges"]]
    assert len(nodes) == size
    assert all(line["variant"]["price"] == "10.00" for node in nodes for line in node["lines"])


CART_WITH_VARIANTS = "{ cart { lines { quantity unitPrice variant { sku name price stockQuantity inStock } } total } }"


@pytest.mark.parametrize("size", SIZES)
def test_cart_with_variants(gql, customer, django_assert_num_queries, size):
    cart = Cart.objects.create(user=customer)
    for _ in range(size):
        product = make_product()
        CartLine.objects.create(cart=cart, product=product, variant=product.variants.get(), quantity=1)
    with django_assert_num_queries(5):  # token (2) + cart + lines with products, categories, variants + images
        data = gql(CART_WITH_VARIANTS, user=customer)
    assert len(data["cart"]["lines"]) == size
    assert all(line["variant"]["price"] == "10.00" for line in data["cart"]["lines"])


@pytest.mark.parametrize("size", SIZES)
def test_orders_with_fulfilments(gql, customer, django_assert_num_queries, size):
    make_orders(customer, size)
    for order in Order.objects.all():
        for number, line in enumerate(order.lines.all()):  # two shipments per order
            fulfilment = Fulfilment.objects.create(order=order, carrier="DHL", tracking_number=f"T{number % 2}")
            FulfilmentLine.objects.create(fulfilment=fulfilment, order_line=line, quantity=1)
            if number == 1:
                break
    # token (2) + orders + fulfilments + their lines with order lines
    with django_assert_num_queries(5):
        data = gql(ORDERS_SHIPPED, {"first": 20}, user=customer)
    nodes = [edge["node"] for edge in data["orders"]["edges"]]
    assert len(nodes) == size
    assert all(len(node["fulfilments"]) == 2 and node["fulfilments"][0]["lines"][0]["orderLine"] for node in nodes)


NOTIFICATIONS = "query ($first: Int!) { notifications(first: $first) { totalCount edges { node { id title read } } } }"


@pytest.mark.parametrize("size", SIZES)
def test_notifications(gql, customer, django_assert_num_queries, size):
    Notification.objects.bulk_create(
        Notification(user=customer, kind="ORDER_PLACED", title=f"Order {n}") for n in range(size)
    )
    with django_assert_num_queries(3):  # token (2) + notifications with the count
        data = gql(NOTIFICATIONS, {"first": 50}, user=customer)
    assert data["notifications"]["totalCount"] == size


APPS_AND_WEBHOOKS = """{
  apps { totalCount edges { node { name scopes isActive } } }
  webhooks { totalCount edges { node { targetUrl events isActive } } }
}"""


@pytest.mark.parametrize("size", SIZES)
def test_apps_and_webhooks(gql, staff, django_assert_num_queries, size):
    for n in range(size):
        app, _token = partner_services.app_create(
            principal=Principal.system(), name=f"App {n}", scopes=[AppScope.ORDERS_READ]
        )
        Webhook.objects.create(app=app, target_url=f"https://hooks.example.com/{n}", events=["ORDER_CREATED"])
    with django_assert_num_queries(4):  # token (2) + apps with the count + webhooks with the count
        data = gql(APPS_AND_WEBHOOKS, user=staff)
    assert data["apps"]["totalCount"] == size
    assert data["webhooks"]["totalCount"] == size
