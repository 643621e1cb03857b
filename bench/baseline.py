"""The benchmark's baseline: hand-written Django views that do what the GraphQL
resolvers do, with nothing in between.

Each view takes the same JSON body as /graphql/ (only `variables` is read),
authenticates the same way, reads through the same cache where the GraphQL
path does, issues the same SQL (hand-written `values()` queries) and answers
the same JSON, encoded with orjson. That is about as fast as this stack can
serve these reads: the GraphQL figures are reported as a fraction of it.

Routed only by the bench's own urlconf (bench/settings.py, bench/urls.py):
production never serves these.
"""

import base64
from decimal import Decimal

import orjson
from django.conf import settings
from django.db.models import Count, Window
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.authentication import request_user
from accounts.principal import Principal
from commerce import pricing
from commerce.cache import cached, cart_scope, catalog_scope
from commerce.catalog.policy import may_see_hidden_catalog
from commerce.catalog.selectors import _slug_key, visible_products
from commerce.checkout.services import order_checkout
from commerce.models import Cart, CartLine, Order, OrderLine, Product, ProductImage
from infra.errors import DomainError


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def cursor(offset: int) -> str:
    return base64.b64encode(f"arrayconnection:{offset}".encode()).decode()


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def respond(data: dict) -> HttpResponse:
    return HttpResponse(orjson.dumps({"data": data}, default=_default), content_type="application/json")


def variables_of(request: HttpRequest) -> dict:
    return orjson.loads(request.body).get("variables") or {}


def endpoint(view):
    return csrf_exempt(require_POST(view))


def _images_by_product(product_ids: list[int]) -> dict[int, list[dict]]:
    images: dict[int, list[dict]] = {pk: [] for pk in product_ids}
    rows = (
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("position", "id")
        .values("id", "product_id", "url", "alt")
    )
    for row in rows:
        images[row["product_id"]].append({"url": row["url"], "alt": row["alt"]})
    return images


def cached_answer(user, name: str, variables: dict, build) -> dict:
    """The whole answer of an anonymous catalog read, cached under the catalog's
    version as schema/response_cache.py caches GraphQL's; a logged-in caller's
    answer is built every time, as GraphQL's is."""
    if user.is_authenticated:
        return build()
    key = f"bench:{name}:{orjson.dumps(variables, option=orjson.OPT_SORT_KEYS).decode()}"
    return cached(key, (catalog_scope(),), build)


@endpoint
def product_list(request: HttpRequest) -> HttpResponse:
    user, variables = request_user(request), variables_of(request)
    return respond(cached_answer(user, "products", variables, lambda: _product_list(user, variables)))


def _product_list(user, variables: dict) -> dict:
    first = int(variables.get("first") or 20)
    products = Product.objects.order_by("-created_at", "-id")
    if not may_see_hidden_catalog(Principal.for_user(user)):
        products = visible_products(products)
    rows = list(
        products.annotate(total=Window(Count(1))).values(
            "id",
            "name",
            "slug",
            "price",
            "currency",
            "stock_quantity",
            "total",
            "category_id",
            "category__name",
            "category__slug",
        )[: first + 1]
    )
    images = _images_by_product([row["id"] for row in rows])
    page = rows[:first]
    edges = [
        {
            "node": {
                "id": gid("Product", row["id"]),
                "name": row["name"],
                "slug": row["slug"],
                "price": row["price"],
                "currency": row["currency"],
                "inStock": row["stock_quantity"] > 0,
                "category": {
                    "id": gid("Category", row["category_id"]),
                    "name": row["category__name"],
                    "slug": row["category__slug"],
                },
                "images": images[row["id"]],
            }
        }
        for row in page
    ]
    return {
        "products": {
            "totalCount": rows[0]["total"] if rows else 0,
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": cursor(len(page) - 1) if page else None},
            "edges": edges,
        }
    }


def _product_detail_load(slug: str) -> dict | None:
    row = (
        Product.objects.filter(slug=slug)
        .values(
            "id",
            "name",
            "slug",
            "description",
            "price",
            "currency",
            "stock_quantity",
            "is_active",
            "deleted_at",
            "created_at",
            "category_id",
            "category__name",
            "category__slug",
            "category__is_active",
        )
        .first()
    )
    if row is None:
        return None
    return {**row, "images": _images_by_product([row["id"]])[row["id"]]}


@endpoint
def product_detail(request: HttpRequest) -> HttpResponse:
    user, variables = request_user(request), variables_of(request)
    slug = str(variables.get("slug") or "")
    return respond(cached_answer(user, "product", variables, lambda: _product_detail(user, slug)))


def _product_detail(user, slug: str) -> dict:
    row = cached(_slug_key("bench-product", slug), (catalog_scope(),), lambda: _product_detail_load(slug))
    available = row is not None and row["is_active"] and row["deleted_at"] is None and row["category__is_active"]
    if row is None or not (available or may_see_hidden_catalog(Principal.for_user(user))):
        return {"product": None}
    return {
        "product": {
            "id": gid("Product", row["id"]),
            "name": row["name"],
            "slug": row["slug"],
            "description": row["description"],
            "price": row["price"],
            "currency": row["currency"],
            "stockQuantity": row["stock_quantity"],
            "inStock": row["stock_quantity"] > 0,
            "createdAt": row["created_at"],
            "category": {
                "id": gid("Category", row["category_id"]),
                "name": row["category__name"],
                "slug": row["category__slug"],
            },
            "images": row["images"],
        }
    }


def _cart_load(user_id: int) -> dict | None:
    cart = Cart.objects.filter(user_id=user_id).values("id").first()
    if cart is None:
        return None
    lines = list(
        CartLine.objects.filter(cart_id=cart["id"])
        .order_by("added_at", "id")
        .values("id", "quantity", "product_id", "product__name", "product__slug", "product__price")
    )
    images = _images_by_product([line["product_id"] for line in lines])
    return {**cart, "lines": [{**line, "images": images[line["product_id"]]} for line in lines]}


@endpoint
def cart(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_authenticated:
        return respond({"cart": None})
    data = cached(f"bench-cart:{user.pk}", (cart_scope(user.pk), catalog_scope()), lambda: _cart_load(user.pk))
    if data is None:
        return respond({"cart": None})
    lines = []
    for line in data["lines"]:
        price = line["product__price"]
        lines.append(
            {
                "id": gid("CartLine", line["id"]),
                "quantity": line["quantity"],
                "unitPrice": price,
                "lineTotal": pricing.line_total(price, line["quantity"]),
                "product": {
                    "id": gid("Product", line["product_id"]),
                    "name": line["product__name"],
                    "slug": line["product__slug"],
                    "price": price,
                    "images": line["images"],
                },
            }
        )
    totals = pricing.totals(line["lineTotal"] for line in lines)
    return respond(
        {
            "cart": {
                "id": gid("Cart", data["id"]),
                "itemCount": sum(line["quantity"] for line in lines),
                "subtotal": totals.subtotal,
                "tax": totals.tax,
                "total": totals.total,
                "currency": settings.CURRENCY,
                "lines": lines,
            }
        }
    )


def _lines_by_order(order_ids: list[int]) -> dict[int, list[dict]]:
    lines: dict[int, list[dict]] = {pk: [] for pk in order_ids}
    rows = (
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("id")
        .values("id", "order_id", "product_name", "unit_price", "quantity", "line_total")
    )
    for row in rows:
        lines[row["order_id"]].append(
            {
                "productName": row["product_name"],
                "unitPrice": row["unit_price"],
                "quantity": row["quantity"],
                "lineTotal": row["line_total"],
            }
        )
    return lines


@endpoint
def orders(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_authenticated or not user.is_active:
        return respond({"orders": {"totalCount": 0, "edges": []}})
    first = int(variables_of(request).get("first") or 10)
    queryset = Order.objects.all() if user.is_staff else Order.objects.filter(user_id=user.pk)
    rows = list(
        queryset.order_by("-created_at", "-id")
        .annotate(total_count=Window(Count(1)))
        .values("id", "number", "status", "currency", "subtotal", "tax", "total", "created_at", "total_count")[
            : first + 1
        ]
    )
    lines = _lines_by_order([row["id"] for row in rows])
    edges = [
        {
            "node": {
                "id": gid("Order", row["id"]),
                "number": row["number"],
                "status": row["status"],
                "subtotal": row["subtotal"],
                "tax": row["tax"],
                "total": row["total"],
                "currency": row["currency"],
                "createdAt": row["created_at"],
                "lines": lines[row["id"]],
            }
        }
        for row in rows[:first]
    ]
    return respond({"orders": {"totalCount": rows[0]["total_count"] if rows else 0, "edges": edges}})


@endpoint
def checkout(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_authenticated:
        return respond({"checkout": {"__typename": "OperationInfo", "messages": [{"code": "UNAUTHENTICATED"}]}})
    data = variables_of(request).get("input") or {}
    try:
        order = order_checkout(
            user=user,
            payment_method=data.get("paymentMethod", ""),
            idempotency_key=data.get("idempotencyKey"),
            note=data.get("note") or "",
        )
    except DomainError as error:
        return respond(
            {"checkout": {"__typename": "OperationInfo", "messages": [{"code": error.code, "message": str(error)}]}}
        )
    lines = [
        {"productName": name, "quantity": quantity, "lineTotal": total}
        for name, quantity, total in OrderLine.objects.filter(order_id=order.pk)
        .order_by("id")
        .values_list("product_name", "quantity", "line_total")
    ]
    return respond(
        {
            "checkout": {
                "__typename": "CheckoutPayload",
                "order": {
                    "id": gid("Order", order.pk),
                    "number": order.number,
                    "status": order.status,
                    "total": order.total,
                    "currency": order.currency,
                    "lines": lines,
                },
            }
        }
    )


urlpatterns = [
    path("bench/products/", product_list),
    path("bench/product/", product_detail),
    path("bench/cart/", cart),
    path("bench/orders/", orders),
    path("bench/checkout/", checkout),
]
