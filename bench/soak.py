"""Load without loss: many customers shop at once against a real server, then
the database is audited.

Starts fm-core as in production (uvicorn workers, DEBUG off) with a Dramatiq
worker, on PostgreSQL + Redis (DATABASE_URL / REDIS_URL must point at them;
the database, whose name must contain 'soak', is wiped). Customers browse, cart, check out, pay (DUMMY) and
sometimes cancel, concurrently, for a bounded time on loopback only. Then:

- stock + units sold = initial stock, for every product;
- every PAID order has exactly one SUCCEEDED payment;
- no order without lines; no negative stock.

Prints the figures; exits 1 when the audit finds anything.

    python bench/soak.py --seconds 60 --customers 30
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "soak-Password-123"
LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"

LOGIN = "mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p) { ... on TokenPayload { token } } }"
PRODUCTS = "{ products(first: 20, filters: {inStock: true}) { edges { node { id slug price } } } }"
ADD = "mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { __typename } }"
CHECKOUT = """mutation($key: String!) { checkout(input: {paymentMethod: DUMMY, idempotencyKey: $key}) {
  __typename ... on CheckoutPayload { order { id total } } ... on OperationInfo { messages { code } } } }"""
INITIATE = """mutation($o: ID!, $key: String!) { initiatePayment(orderId: $o, method: DUMMY, idempotencyKey: $key) {
  __typename ... on PaymentPayload { payment { id } } ... on OperationInfo { messages { code } } } }"""
CONFIRM = """mutation($p: ID!) { confirmPayment(paymentId: $p) {
  __typename ... on PaymentPayload { payment { status } } ... on OperationInfo { messages { code } } } }"""
CANCEL = 'mutation($o: ID!) { cancelOrder(orderId: $o, reason: "changed my mind") { __typename } }'
CLEAR = "mutation { clearCart { __typename } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fmcore.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _prepare(customers: int, products: int) -> dict[int, int]:
    """Reset the database and create customers and stock; returns initial stock per product."""
    from django.core.management import call_command

    from accounts.models import User
    from commerce.catalog.options import default_variants_seed
    from commerce.models import Category, Product

    call_command("flush", interactive=False, verbosity=0)
    User.objects.bulk_create(
        [User(email=f"soak{i}@example.com", email_verified=True, password="") for i in range(customers)]
    )
    for user in User.objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    category = Category.objects.create(name="Soak", slug="soak")
    seeded = Product.objects.bulk_create(
        [
            Product(
                name=f"Soak item {i}",
                slug=f"soak-item-{i}",
                price=Decimal(random.choice(["1.99", "5.00", "12.49", "20.00"])),
                stock_quantity=random.randint(5, 40),
                category=category,
            )
            for i in range(products)
        ]
    )
    default_variants_seed(seeded)
    return dict(Product.objects.values_list("pk", "stock_quantity"))


class Shopper:
    def __init__(self, base: str, email: str, stats: Counter, lock: threading.Lock):
        self.base, self.email, self.stats, self.lock = base, email, stats, lock
        self.http = requests.Session()
        token = self.call(LOGIN, {"e": email, "p": PASSWORD})["tokenAuth"]["token"]
        self.http.headers["Authorization"] = f"JWT {token}"

    def call(self, query: str, variables: dict | None = None) -> dict:
        response = self.http.post(
            f"{self.base}/graphql/", json={"query": query, "variables": variables or {}}, timeout=30
        )
        self.count(f"http {response.status_code}")
        body = response.json()
        if body.get("errors"):
            self.count("graphql error")
            raise RuntimeError(body["errors"])
        return body["data"]

    def count(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1

    def shop_once(self) -> None:
        products = [edge["node"] for edge in self.call(PRODUCTS)["products"]["edges"]]
        if not products:
            self.count("sold out")
            time.sleep(0.05)
            return
        for product in random.sample(products, k=min(len(products), random.randint(1, 3))):
            self.call(ADD, {"p": product["id"], "q": random.randint(1, 3)})
        key = f"{self.email}-{time.monotonic_ns()}"
        result = self.call(CHECKOUT, {"key": key})["checkout"]
        if result["__typename"] != "CheckoutPayload":
            self.count(f"checkout {result['messages'][0]['code']}")
            self.call(CLEAR)
            return
        self.count("orders placed")
        order_id = result["order"]["id"]
        if random.random() < 0.15:
            self.call(CANCEL, {"o": order_id})
            self.count("orders cancelled")
            return
        payment = self.call(INITIATE, {"o": order_id, "key": key})["initiatePayment"]
        if payment["__typename"] != "PaymentPayload":
            self.count(f"initiate {payment['messages'][0]['code']}")
            return
        confirmed = self.call(CONFIRM, {"p": payment["payment"]["id"]})["confirmPayment"]
        self.count(f"payment {confirmed.get('payment', {}).get('status', 'refused')}")


def _audit(initial: dict[int, int]) -> list[str]:
    from django.db.models import Count, Q, Sum

    from commerce.models import Order, OrderLine, OrderStatus, Payment, PaymentStatus, Product

    problems = []
    sold = dict(
        OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
        .values_list("product_id")
        .annotate(units=Sum("quantity"))
    )
    for product_id, stock in Product.objects.values_list("pk", "stock_quantity"):
        if stock < 0:
            problems.append(f"product {product_id}: negative stock {stock}")
        if stock + sold.get(product_id, 0) != initial[product_id]:
            problems.append(
                f"product {product_id}: stock {stock} + sold {sold.get(product_id, 0)} != {initial[product_id]}"
            )
    paid = Order.objects.filter(status=OrderStatus.PAID).annotate(
        succeeded=Count("payments", filter=Q(payments__status=PaymentStatus.SUCCEEDED))
    )
    problems += [f"order {o.number}: PAID with {o.succeeded} succeeded payments" for o in paid if o.succeeded != 1]
    problems += [f"order {n}: no lines" for n in Order.objects.filter(lines=None).values_list("number", flat=True)]
    not_paid = Order.objects.exclude(status__in=[OrderStatus.PAID, OrderStatus.COMPLETED])
    double = Payment.objects.filter(order__in=not_paid, status=PaymentStatus.SUCCEEDED).exclude(
        order__status=OrderStatus.CANCELLED
    )
    problems += [f"payment {p.pk}: SUCCEEDED but its order is {p.order.status}" for p in double]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--customers", type=int, default=30)
    parser.add_argument("--products", type=int, default=25)
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not (database_url.startswith("postgres") and os.environ.get("REDIS_URL")):
        print("soak: set DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    if "soak" not in database_url.rsplit("/", 1)[-1]:
        print("soak: the database is wiped first; use one whose name contains 'soak'", file=sys.stderr)
        return 2

    os.environ.update(
        DEBUG="0",
        PAYMENTS_DUMMY_ENABLED="1",
        AUTH_RATE_LIMIT="10000/m",
        EMAIL_BACKEND=LOCMEM_EMAIL,
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback, no TLS proxy
    )
    os.environ.setdefault("SECRET_KEY", "soak-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "c29hay1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5ISE=")  # a Fernet key
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    initial = _prepare(args.customers, args.products)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    python = sys.executable
    web = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "fmcore.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.web_workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
    )
    worker = subprocess.Popen(
        [python, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if requests.get(f"{base}/health/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        stats: Counter = Counter()
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def customer(i: int) -> None:
            shopper = Shopper(base, f"soak{i}@example.com", stats, lock)
            while time.monotonic() < deadline:
                try:
                    shopper.shop_once()
                except Exception as exc:  # counted and reported; the audit decides
                    shopper.count(f"client error {type(exc).__name__}")

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.customers) as pool:
            list(pool.map(customer, range(args.customers)))
        elapsed = time.monotonic() - started
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    problems = _audit(initial)
    print(f"soak: {args.customers} customers for {elapsed:.1f}s")
    for what, count in sorted(stats.items()):
        print(f"  {what:<28} {count}")
    requests_total = sum(count for what, count in stats.items() if what.startswith("http "))
    print(f"  {'requests/s':<28} {requests_total / elapsed:.1f}")
    server_errors = sum(count for what, count in stats.items() if what.startswith("http 5"))
    if server_errors:
        problems.append(f"{server_errors} server errors (5xx)")
    if stats["graphql error"] or any(what.startswith("client error") for what in stats):
        problems.append("unexpected GraphQL or client errors")
    print("audit: " + ("nothing lost" if not problems else f"{len(problems)} problem(s)"))
    for problem in problems[:50]:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
