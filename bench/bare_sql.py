"""The limit of uncached reads: a bare ASGI app on psycopg's async pool and
orjson that answers each bench read with the least SQL that can: one statement
for the caller's token when there is one, one for the answer (counts and
images as subqueries).

It serves the baseline's paths (/bench/products/ ...), takes the same JSON
body as /graphql/ (only `variables` is read), checks the same JWT and answers
the same JSON as fm-core; the bench compares the answers before measuring.
No Django: DATABASE_URL, SECRET_KEY (or JWT_SECRET_KEY), CURRENCY, TAX_RATE
and DB_POOL_MAX_SIZE are read from the environment as fm-core's settings read them.

    python -m uvicorn bench.bare_sql:app
"""

import base64
import os
import uuid
from decimal import ROUND_HALF_UP, Decimal

import jwt
import orjson
from psycopg_pool import AsyncConnectionPool

from bench.bare_cached import request_body

CENT = Decimal("0.01")
IMAGES = """COALESCE((SELECT json_agg(json_build_object('url', i.url, 'alt', i.alt) ORDER BY i.position, i.id)
    FROM commerce_productimage i WHERE i.product_id = p.id), '[]')"""
VISIBLE = "p.is_active AND p.deleted_at IS NULL AND c.is_active"

CALLER = """SELECT u.id, u.is_staff FROM accounts_user u
WHERE u.id = %s AND u.is_active AND u.token_version = %s
  AND NOT EXISTS (SELECT 1 FROM accounts_refreshtoken f WHERE f.family = %s AND f.revoked_at IS NOT NULL)"""


def _product_list_sql(visible_only: bool) -> str:
    where = f"WHERE {VISIBLE}" if visible_only else ""
    return f"""SELECT p.id, p.name, p.slug, p.price, p.currency, p.stock_quantity, c.id, c.name, c.slug, {IMAGES},
  (SELECT count(*) FROM commerce_product p JOIN commerce_category c ON c.id = p.category_id {where})
FROM commerce_product p JOIN commerce_category c ON c.id = p.category_id {where}
ORDER BY p.created_at DESC, p.id DESC LIMIT %s"""


PRODUCT_LIST = {True: _product_list_sql(True), False: _product_list_sql(False)}
PRODUCT_DETAIL = f"""SELECT p.id, p.name, p.slug, p.description, p.price, p.currency, p.stock_quantity, p.created_at,
  c.id, c.name, c.slug, {IMAGES}, {VISIBLE}
FROM commerce_product p JOIN commerce_category c ON c.id = p.category_id WHERE p.slug = %s"""
CART = f"""SELECT c.id, l.id, l.quantity, p.id, p.name, p.slug, p.price, {IMAGES}
FROM commerce_cart c LEFT JOIN commerce_cartline l ON l.cart_id = c.id
  LEFT JOIN commerce_product p ON p.id = l.product_id
WHERE c.user_id = %s ORDER BY l.added_at, l.id"""
ORDER_LINES = """COALESCE((SELECT json_agg(json_build_object('productName', l.product_name,
    'unitPrice', l.unit_price::text, 'quantity', l.quantity, 'lineTotal', l.line_total::text) ORDER BY l.id)
  FROM commerce_orderline l WHERE l.order_id = o.id), '[]')"""
ORDERS = {
    staff: f"""SELECT o.id, o.number, o.status, o.subtotal, o.tax, o.total, o.currency, o.created_at, {ORDER_LINES},
  (SELECT count(*) FROM commerce_order o {where})
FROM commerce_order o {where} ORDER BY o.created_at DESC, o.id DESC LIMIT %s"""
    for staff, where in ((True, ""), (False, "WHERE o.user_id = %s"))
}

UNAUTHENTICATED = b'{"errors":[{"message":"invalid token","extensions":{"code":"UNAUTHENTICATED"}}]}'

_pool: AsyncConnectionPool | None = None


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Unauthorized(Exception):
    pass


async def caller(connection, authorization: str) -> tuple[int, bool] | None:
    """(user id, is staff) of a valid `JWT <token>`, None without credentials."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    try:
        claims = jwt.decode(
            token,
            os.environ.get("JWT_SECRET_KEY") or os.environ["SECRET_KEY"],
            algorithms=["HS256"],
            options={"require": ["sub", "typ", "jti", "sid", "iat", "exp", "ver"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthorized from error
    if scheme != "JWT" or claims["typ"] != "access":
        raise Unauthorized
    caller = (int(claims["sub"]), claims["ver"], uuid.UUID(claims["sid"]))
    row = await (await connection.execute(CALLER, caller)).fetchone()
    if row is None:
        raise Unauthorized
    return row


async def product_list(connection, user, variables: dict) -> dict:
    first = int(variables.get("first") or 20)
    visible_only = user is None or not user[1]
    rows = await (await connection.execute(PRODUCT_LIST[visible_only], (first + 1,))).fetchall()
    page = rows[:first]
    edges = [
        {
            "node": {
                "id": gid("Product", pk),
                "name": name,
                "slug": slug,
                "price": price,
                "currency": currency,
                "inStock": stock > 0,
                "category": {"id": gid("Category", category_id), "name": category_name, "slug": category_slug},
                "images": images,
            }
        }
        for pk, name, slug, price, currency, stock, category_id, category_name, category_slug, images, _ in page
    ]
    end_cursor = base64.b64encode(f"arrayconnection:{len(page) - 1}".encode()).decode() if page else None
    return {
        "products": {
            "totalCount": rows[0][-1] if rows else 0,
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end_cursor},
            "edges": edges,
        }
    }


async def product_detail(connection, user, variables: dict) -> dict:
    row = await (await connection.execute(PRODUCT_DETAIL, (str(variables.get("slug") or ""),))).fetchone()
    if row is None or not (row[-1] or (user is not None and user[1])):
        return {"product": None}
    pk, name, slug, description, price, currency, stock, created_at, category_id, cname, cslug, images, _ = row
    return {
        "product": {
            "id": gid("Product", pk),
            "name": name,
            "slug": slug,
            "description": description,
            "price": price,
            "currency": currency,
            "stockQuantity": stock,
            "inStock": stock > 0,
            "createdAt": created_at,
            "category": {"id": gid("Category", category_id), "name": cname, "slug": cslug},
            "images": images,
        }
    }


async def cart(connection, user, variables: dict) -> dict:
    if user is None:
        return {"cart": None}
    rows = await (await connection.execute(CART, (user[0],))).fetchall()
    if not rows:
        return {"cart": None}
    lines = [
        {
            "id": gid("CartLine", line_id),
            "quantity": quantity,
            "unitPrice": price,
            "lineTotal": money(price * quantity),
            "product": {"id": gid("Product", product_id), "name": name, "slug": slug, "price": price, "images": images},
        }
        for _, line_id, quantity, product_id, name, slug, price, images in rows
        if line_id is not None
    ]
    subtotal = money(sum((line["lineTotal"] for line in lines), Decimal("0")))
    tax = money(subtotal * Decimal(os.environ.get("TAX_RATE", "0")))
    return {
        "cart": {
            "id": gid("Cart", rows[0][0]),
            "itemCount": sum(line["quantity"] for line in lines),
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "currency": os.environ.get("CURRENCY", "USD"),
            "lines": lines,
        }
    }


async def orders(connection, user, variables: dict) -> dict:
    if user is None:
        raise Unauthorized
    first = int(variables.get("first") or 10)
    params = (first + 1,) if user[1] else (user[0], user[0], first + 1)
    rows = await (await connection.execute(ORDERS[user[1]], params)).fetchall()
    edges = [
        {
            "node": {
                "id": gid("Order", pk),
                "number": number,
                "status": status,
                "subtotal": subtotal,
                "tax": tax,
                "total": total,
                "currency": currency,
                "createdAt": created_at,
                "lines": lines,
            }
        }
        for pk, number, status, subtotal, tax, total, currency, created_at, lines, _ in rows[:first]
    ]
    return {"orders": {"totalCount": rows[0][-1] if rows else 0, "edges": edges}}


READS = {
    "/bench/products/": product_list,
    "/bench/product/": product_detail,
    "/bench/cart/": cart,
    "/bench/orders/": orders,
}


async def _respond(send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    global _pool
    while (await receive())["type"] != "lifespan.shutdown":
        _pool = AsyncConnectionPool(
            os.environ["DATABASE_URL"],
            min_size=2,
            max_size=int(os.environ.get("DB_POOL_MAX_SIZE", "10")),
            kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
            open=False,
        )
        await _pool.open(wait=True)
        await send({"type": "lifespan.startup.complete"})
    if _pool is not None:
        await _pool.close()
    await send({"type": "lifespan.shutdown.complete"})


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    read = READS.get(scope["path"])
    if read is None:
        await _respond(send, 404, b'{"errors":[{"message":"not found"}]}')
        return
    variables = orjson.loads(await request_body(receive)).get("variables") or {}
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode()
    assert _pool is not None  # opened when the lifespan started
    async with _pool.connection() as connection:
        try:
            data = await read(connection, await caller(connection, authorization), variables)
        except Unauthorized:
            await _respond(send, 401, UNAUTHENTICATED)
            return
    await _respond(send, 200, orjson.dumps({"data": data}, default=str))
