"""Load the benchmark data set into the database named by DATABASE_URL.

20 categories, 5,000 products with 2 images each (BENCH_PRODUCTS), 1,000
customers (BENCH_USERS, at least 200) and one staff user, 20 orders of 3 lines
per customer (each with its PENDING history step), and a 10-line cart for the
first 100 customers. Stock is large so that checkouts never run out.

Idempotent: a loaded database (the right counts) is left alone; anything
else is flushed and loaded again. Run `python bench/load_data.py` with
DATABASE_URL set (make bench does).
"""

import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmcore.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from commerce.catalog.options import default_variants_seed  # noqa: E402
from commerce.models import (  # noqa: E402
    Address,
    Cart,
    CartLine,
    Category,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    ProductImage,
)

CATEGORIES = 20
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "5000"))
IMAGES_PER_PRODUCT = 2
USERS = int(os.environ.get("BENCH_USERS", "1000"))
ORDERS_PER_USER = 20
LINES_PER_ORDER = 3
CART_USERS = 100
CART_LINES = 10
STOCK = 10_000_000
PASSWORD = "bench-Password-123"
STAFF_EMAIL = "staff@bench.local"
BATCH = 2_000

WORDS = [
    *("oak", "walnut", "linen", "wool", "brass", "copper", "ceramic", "glass", "steel", "cotton", "leather"),
    *("bamboo", "lamp", "chair", "table", "shelf", "mug", "bowl", "vase", "rug", "blanket", "clock", "mirror"),
]


def customer_email(n: int) -> str:
    return f"user{n:04d}@bench.local"


# Marks the loaded orders (the database numbers every order, bench ones included).
ORDER_NOTE = "bench data"


def product_slug(n: int) -> str:
    return f"product-{n:05d}"


def is_loaded() -> bool:
    return (
        Category.objects.count() == CATEGORIES
        and Product.objects.filter(slug__startswith="product-").count() == PRODUCTS
        and User.objects.filter(email__endswith="@bench.local").count() == USERS + 1
        and Order.objects.filter(note=ORDER_NOTE).count() == USERS * ORDERS_PER_USER
    )


def load() -> None:
    now = timezone.now()
    categories = Category.objects.bulk_create(
        Category(name=f"Category {n:02d}", slug=f"category-{n:02d}", description=f"Things of kind {n}.")
        for n in range(1, CATEGORIES + 1)
    )
    products = []
    for n in range(1, PRODUCTS + 1):
        name = f"{WORDS[n % len(WORDS)].title()} {WORDS[(n * 7) % len(WORDS)]} {n:05d}"
        products.append(
            Product(
                name=name,
                slug=product_slug(n),
                description=f"{name}: " + " ".join(WORDS[(n + k) % len(WORDS)] for k in range(30)),
                price=Decimal(500 + (n * 37) % 20_000) / 100,
                stock_quantity=STOCK,
                category=categories[n % CATEGORIES],
            )
        )
    products = Product.objects.bulk_create(products, batch_size=BATCH)
    variants = default_variants_seed(products)
    # Spread creation times so "newest first" is a real ordering.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE commerce_product SET created_at = %s - (id * interval '1 minute')",
            [now],
        )
    ProductImage.objects.bulk_create(
        (
            ProductImage(
                product=product,
                url=f"https://img.bench.local/{product.slug}/{k}.jpg",
                alt=f"{product.name}, view {k + 1}",
                position=k,
            )
            for product in products
            for k in range(IMAGES_PER_PRODUCT)
        ),
        batch_size=BATCH,
    )

    password = make_password(PASSWORD)  # hashed once: every bench user shares it
    users = User.objects.bulk_create(
        [
            User(email=customer_email(n), password=password, email_verified=True, first_name=f"User{n}")
            for n in range(1, USERS + 1)
        ]
        + [User(email=STAFF_EMAIL, password=password, email_verified=True, is_staff=True)],
        batch_size=BATCH,
    )
    customers = users[:USERS]
    Address.objects.bulk_create(
        Address(
            user=user, full_name=user.first_name, line1="1 Bench Road", city="Loopback", country="US", is_default=True
        )
        for user in customers
    )

    orders = []
    for user in customers:
        for _ in range(ORDERS_PER_USER):
            orders.append(
                Order(
                    user=user,
                    status="COMPLETED",
                    subtotal=Decimal("0"),
                    tax=Decimal("0"),
                    total=Decimal("0"),
                    payment_method="COD",
                    note=ORDER_NOTE,
                    shipping_address={"full_name": user.first_name, "line1": "1 Bench Road", "city": "Loopback"},
                )
            )
    orders = Order.objects.bulk_create(orders, batch_size=BATCH)
    lines = []
    for n, order in enumerate(orders):
        for k in range(LINES_PER_ORDER):
            product = products[(n * LINES_PER_ORDER + k * 101) % PRODUCTS]
            quantity = 1 + (n + k) % 3
            lines.append(
                OrderLine(
                    order=order,
                    product=product,
                    product_name=product.name,
                    unit_price=product.price,
                    quantity=quantity,
                    line_total=product.price * quantity,
                )
            )
    OrderLine.objects.bulk_create(lines, batch_size=BATCH)
    OrderStatusChange.objects.bulk_create(
        (
            OrderStatusChange(order=order, from_status="", to_status="PENDING", actor_id=order.user_id)
            for order in orders
        ),
        batch_size=BATCH,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE commerce_order o SET subtotal = t.s, total = t.s,
                created_at = %s - (o.id * interval '7 minutes')
            FROM (SELECT order_id, SUM(line_total) AS s FROM commerce_orderline GROUP BY order_id) t
            WHERE t.order_id = o.id
            """,
            [now],
        )

    carts = Cart.objects.bulk_create(Cart(user=user) for user in customers[:CART_USERS])
    CartLine.objects.bulk_create(
        (
            CartLine(
                cart=cart,
                product=products[(c * 13 + k * 17) % PRODUCTS],
                variant=variants[(c * 13 + k * 17) % PRODUCTS],
                quantity=1 + k % 2,
            )
            for c, cart in enumerate(carts)
            for k in range(CART_LINES)
        ),
        batch_size=BATCH,
    )


def ensure_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL when it does not exist yet."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        return
    import psycopg

    params = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"]}
    if settings["PASSWORD"]:
        params["password"] = settings["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')


def main() -> None:
    ensure_database()
    call_command("migrate", "--noinput", verbosity=0)
    if is_loaded():
        print("bench data: already loaded")
        return
    started = time.monotonic()
    call_command("flush", "--noinput", verbosity=0)
    with transaction.atomic():
        load()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(f"bench data: loaded in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
