"""The contract's newer sections (Variants, Search, Vouchers and shipping, Guest
checkout, Fulfilment, Events you never miss, Operations endpoints) walked the
way an outside client reading only API.md would: every document below uses the
names and shapes written there, over GraphQL on HTTP, and the shop is set up
through the staff mutations rather than the ORM."""

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.db import connection, connections

from tests.api.accounts.conftest import link_token  # noqa: F401 (a fixture)
from tests.api.orders.test_subscriptions import connect
from tests.conftest import DEFAULT_PASSWORD, codes
from tests.factories import ADDRESS_INPUT

pytestmark = pytest.mark.django_db

INFO = "... on OperationInfo { messages { code field } }"
CART_FIELDS = """id itemCount subtotal discount shipping tax total currency voucherCode
  shippingMethod { id name price } availableShippingMethods { id name price }
  lines { id quantity unitPrice lineTotal product { id } variant { id sku } }"""
ORDER_FIELDS = """id number status email subtotal discount shipping tax total currency voucherCode paymentMethod
  user { email } shippingAddress { city country }
  lines { id productName variantName sku unitPrice quantity lineTotal variant { id } }
  fulfilments { carrier trackingNumber trackingUrl shippedAt lines { quantity orderLine { id } } }"""

CREATE_CATEGORY = f"""mutation ($input: CategoryInput!) {{
  createCategory(input: $input) {{ ... on CategoryPayload {{ category {{ id slug }} }} {INFO} }}
}}"""
CREATE_PRODUCT = f"""mutation ($input: ProductInput!) {{
  createProduct(input: $input) {{ ... on ProductPayload {{ product {{ id slug }} }} {INFO} }}
}}"""
CREATE_VARIANT = f"""mutation ($input: ProductVariantInput!) {{
  createProductVariant(input: $input) {{ ... on ProductVariantPayload {{ variant {{ id }} }} {INFO} }}
}}"""
PRODUCT = """query ($slug: String!) { product(slug: $slug) {
  price options { name values } variants { id sku name price stockQuantity inStock options { name value } }
} }"""
PRODUCTS = """query ($filters: ProductFilter, $ordering: [ProductOrder!]) {
  products(filters: $filters, ordering: $ordering) { totalCount edges { node { name } } }
}"""
CREATE_VOUCHER = f"""mutation ($input: VoucherInput!) {{
  createVoucher(input: $input) {{ ... on VoucherPayload {{ voucher {{ id code }} }} {INFO} }}
}}"""
UPDATE_VOUCHER = f"""mutation ($id: ID!, $input: VoucherUpdateInput!) {{
  updateVoucher(id: $id, input: $input) {{ ... on VoucherPayload {{ voucher {{ id }} }} {INFO} }}
}}"""
UPDATE_VARIANT = f"""mutation ($id: ID!, $input: ProductVariantUpdateInput!) {{
  updateProductVariant(id: $id, input: $input) {{ ... on ProductVariantPayload {{ variant {{ sku price }} }} {INFO} }}
}}"""
DELETE_VARIANT = f"""mutation ($id: ID!) {{
  deleteProductVariant(id: $id) {{ ... on ProductPayload {{ product {{ variants {{ sku }} }} }} {INFO} }}
}}"""
DELETE_VOUCHER = f"mutation ($id: ID!) {{ deleteVoucher(id: $id) {{ ... on OkPayload {{ ok }} {INFO} }} }}"
DELETE_SHIPPING = f"mutation ($id: ID!) {{ deleteShippingMethod(id: $id) {{ ... on OkPayload {{ ok }} {INFO} }} }}"
SHIPPING_METHODS = "{ shippingMethods { id name price } }"
VOUCHERS = "{ vouchers { edges { node { code } } } }"
CREATE_SHIPPING = f"""mutation ($input: ShippingMethodInput!) {{
  createShippingMethod(input: $input) {{ ... on ShippingMethodPayload {{ shippingMethod {{ id name price }} }} {INFO} }}
}}"""
UPDATE_SHIPPING = f"""mutation ($id: ID!, $input: ShippingMethodUpdateInput!) {{
  updateShippingMethod(id: $id, input: $input) {{ ... on ShippingMethodPayload {{ shippingMethod {{ id }} }} {INFO} }}
}}"""
CREATE_ADDRESS = """mutation ($input: AddressInput!) {
  createAddress(input: $input) { ... on AddressPayload { address { id } } }
}"""
CART = f"{{ cart {{ {CART_FIELDS} }} }}"
CLEAR_CART = f"mutation {{ clearCart {{ ... on CartPayload {{ cart {{ itemCount }} }} {INFO} }} }}"
ADD_TO_CART = f"""mutation ($productId: ID, $variantId: ID, $quantity: Int) {{
  addToCart(productId: $productId, variantId: $variantId, quantity: $quantity) {{
    ... on CartPayload {{ cart {{ {CART_FIELDS} }} }} {INFO}
  }}
}}"""
APPLY_VOUCHER = f"""mutation ($code: String!) {{
  applyVoucher(code: $code) {{ ... on CartPayload {{ cart {{ {CART_FIELDS} }} }} {INFO} }}
}}"""
REMOVE_VOUCHER = f"mutation {{ removeVoucher {{ ... on CartPayload {{ cart {{ voucherCode discount }} }} {INFO} }} }}"
SET_SHIPPING = f"""mutation ($id: ID!) {{
  setCartShippingMethod(shippingMethodId: $id) {{ ... on CartPayload {{ cart {{ {CART_FIELDS} }} }} {INFO} }}
}}"""
CHECKOUT = f"""mutation ($input: CheckoutInput!) {{
  checkout(input: $input) {{ ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }} {INFO} }}
}}"""
CREATE_GUEST_CART = f"""mutation {{ createGuestCart {{
  ... on GuestCartPayload {{ token cart {{ id itemCount }} }} {INFO}
}} }}"""
GUEST_CHECKOUT = f"""mutation ($input: GuestCheckoutInput!) {{
  guestCheckout(input: $input) {{ ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }} {INFO} }}
}}"""
INITIATE_PAYMENT = f"""mutation ($orderId: ID!) {{
  initiatePayment(orderId: $orderId) {{ ... on PaymentPayload {{ payment {{ id status }} }} {INFO} }}
}}"""
CONFIRM_PAYMENT = f"""mutation ($id: ID!) {{
  confirmPayment(paymentId: $id) {{ ... on PaymentPayload {{ payment {{ id status }} }} {INFO} }}
}}"""
ORDER = f"query ($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = "{ orders { totalCount edges { node { id number email } } } }"
ADD_FULFILMENT = f"""mutation ($orderId: ID!, $input: FulfilmentInput!) {{
  addFulfilment(orderId: $orderId, input: $input) {{ ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }} {INFO} }}
}}"""
UPDATE_STATUS = f"""mutation ($orderId: ID!, $status: OrderStatus!) {{
  updateOrderStatus(orderId: $orderId, status: $status) {{ ... on OrderPayload {{ order {{ status }} }} {INFO} }}
}}"""
ORDER_EVENTS = """query ($after: String, $first: Int, $orderId: ID) {
  orderEvents(after: $after, first: $first, orderId: $orderId) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { cursor fromStatus toStatus changedAt order { id } } }
  }
}"""
ORDER_STATUS_CHANGED = """subscription ($orderId: ID, $after: String) {
  orderStatusChanged(orderId: $orderId, after: $after) { cursor fromStatus toStatus changedAt order { id } }
}"""
REGISTER = f"""mutation ($input: RegisterInput!) {{
  register(input: $input) {{ ... on RegisterPayload {{ ok }} {INFO} }}
}}"""
VERIFY_EMAIL = f"""mutation ($token: String!) {{
  verifyEmail(token: $token) {{ ... on VerifyEmailPayload {{ user {{ email emailVerified }} }} {INFO} }}
}}"""
TOKEN_AUTH = f"""mutation ($email: String!, $password: String!) {{
  tokenAuth(email: $email, password: $password) {{ ... on TokenPayload {{ token }} {INFO} }}
}}"""

SIZES = [{"name": "Size", "values": ["S", "M", "L"]}]


def ok(payload: dict) -> dict:
    """A mutation's success payload; fails the test with its messages otherwise."""
    assert not codes(payload), payload
    return payload


def as_guest(token: str) -> dict:
    return {"headers": {"X-Cart-Token": token}}


def checkout_in_berlin(gql, shop: dict, customer) -> dict:
    """A `checkout` input shipping by the shop's method to a new address of `customer` in Berlin."""
    address = gql(CREATE_ADDRESS, {"input": ADDRESS_INPUT}, user=customer)["createAddress"]["address"]
    return {"shippingAddressId": address["id"], "paymentMethod": "DUMMY", "shippingMethodId": shop["method"]["id"]}


def obeys_the_total_formula(priced: dict) -> bool:
    subtotal, discount, shipping, tax, total = (
        Decimal(priced[name]) for name in ("subtotal", "discount", "shipping", "tax", "total")
    )
    return total == subtotal - discount + shipping + tax


@pytest.fixture
def shop(gql, staff, settings) -> dict:
    """What staff set up through the API: a T-shirt in sizes S, M (its own price) and L
    (sold out), a 10% voucher from 30.00, a flat-rate method to Germany, a 10% tax."""
    settings.TAX_RATE = Decimal("0.10")
    settings.PAYMENTS_DUMMY_ENABLED = True
    category = gql(CREATE_CATEGORY, {"input": {"name": "Shirts"}}, user=staff)["createCategory"]["category"]
    product_input = {"name": "Green T-shirt", "price": "20.00", "stockQuantity": 0, "categoryId": category["id"]}
    product = gql(CREATE_PRODUCT, {"input": product_input | {"options": SIZES}}, user=staff)["createProduct"]
    variants = {}
    for size, stock, price in (("S", 3, None), ("M", 5, "22.50"), ("L", 0, None)):
        variant_input = {
            "productId": product["product"]["id"],
            "sku": f"TEE-{size}",
            "options": [{"name": "Size", "value": size}],
            "price": price,
            "stockQuantity": stock,
        }
        created = ok(gql(CREATE_VARIANT, {"input": variant_input}, user=staff)["createProductVariant"])
        variants[size] = created["variant"]["id"]
    voucher_input = {"code": "TENOFF", "kind": "PERCENTAGE", "value": "10", "minSubtotal": "30.00"}
    voucher = ok(gql(CREATE_VOUCHER, {"input": voucher_input}, user=staff)["createVoucher"])["voucher"]
    shipping_input = {"name": "DHL", "price": "4.90", "freeAbove": "100.00", "countries": ["DE"]}
    method = ok(gql(CREATE_SHIPPING, {"input": shipping_input}, user=staff)["createShippingMethod"])["shippingMethod"]
    return {
        "category": category,
        "product": product["product"],
        "variants": variants,
        "voucher": voucher,
        "method": method,
    }


# --- Variants -------------------------------------------------------------------


def test_a_product_with_sizes_is_bought_by_variant_at_the_variant_price(gql, shop, staff, customer):
    product = gql(PRODUCT, {"slug": shop["product"]["slug"]})["product"]
    assert product["options"] == SIZES
    assert [(v["sku"], v["name"], v["price"], v["stockQuantity"], v["inStock"]) for v in product["variants"]] == [
        ("TEE-S", "S", "20.00", 3, True),
        ("TEE-M", "M", "22.50", 5, True),
        ("TEE-L", "L", "20.00", 0, False),
    ]
    assert product["variants"][1]["options"] == [{"name": "Size", "value": "M"}]

    # A product without options has one default variant: `productId` alone still buys it.
    plain_input = {"name": "Plain Mug", "price": "8.00", "stockQuantity": 4, "categoryId": shop["category"]["id"]}
    mug = ok(gql(CREATE_PRODUCT, {"input": plain_input}, user=staff)["createProduct"])["product"]
    [default] = gql(PRODUCT, {"slug": mug["slug"]})["product"]["variants"]
    assert (default["price"], default["stockQuantity"], default["options"]) == ("8.00", 4, [])
    cart = ok(gql(ADD_TO_CART, {"productId": mug["id"]}, user=customer)["addToCart"])["cart"]
    assert [(line["variant"]["id"], line["unitPrice"]) for line in cart["lines"]] == [(default["id"], "8.00")]
    ok(gql(CLEAR_CART, user=customer)["clearCart"])

    # A product with several variants needs `variantId`; nothing lands in the cart without it.
    refused = gql(ADD_TO_CART, {"productId": shop["product"]["id"]}, user=customer)["addToCart"]
    assert codes(refused) == ["VARIANT_REQUIRED"]
    assert gql(CART, user=customer)["cart"]["itemCount"] == 0
    # A sold-out size is refused too.
    sold_out = gql(ADD_TO_CART, {"variantId": shop["variants"]["L"]}, user=customer)["addToCart"]
    assert codes(sold_out) == ["OUT_OF_STOCK"]

    medium = shop["variants"]["M"]
    cart = ok(gql(ADD_TO_CART, {"variantId": medium, "quantity": 2}, user=customer)["addToCart"])["cart"]
    [line] = cart["lines"]
    assert (line["variant"], line["product"]["id"], line["unitPrice"], line["lineTotal"]) == (
        {"id": medium, "sku": "TEE-M"},
        shop["product"]["id"],
        "22.50",
        "45.00",
    )

    checkout_input = checkout_in_berlin(gql, shop, customer)
    order = ok(gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"])["order"]
    [order_line] = order["lines"]
    assert (order_line["variantName"], order_line["sku"], order_line["unitPrice"], order_line["variant"]) == (
        "M",
        "TEE-M",
        "22.50",
        {"id": medium},
    )
    # Stock is per variant: only M went down.
    after = gql(PRODUCT, {"slug": shop["product"]["slug"]})["product"]["variants"]
    assert [v["stockQuantity"] for v in after] == [3, 3, 0]


# --- Search ---------------------------------------------------------------------


@pytest.fixture
def catalog(gql, staff) -> None:
    outerwear = gql(CREATE_CATEGORY, {"input": {"name": "Outerwear"}}, user=staff)["createCategory"]["category"]
    for name, price, description in (
        ("Green Jacket", "80.00", "A warm coat for winter."),
        ("Blue Scarf", "15.00", "Soft wool."),
        ("Rain Coat", "60.00", "A light jacket that keeps the rain out."),
    ):
        product_input = {
            "name": name,
            "price": price,
            "stockQuantity": 1,
            "description": description,
            "categoryId": outerwear["id"],
        }
        ok(gql(CREATE_PRODUCT, {"input": product_input}, user=staff)["createProduct"])


def names(data: dict) -> list[str]:
    return [edge["node"]["name"] for edge in data["products"]["edges"]]


def test_search_finds_by_name_and_description_and_ordering_overrides_relevance(gql, catalog):
    found = gql(PRODUCTS, {"filters": {"search": "jacket"}})
    assert set(names(found)) == {"Green Jacket", "Rain Coat"} and found["products"]["totalCount"] == 2
    by_price = gql(PRODUCTS, {"filters": {"search": "jacket"}, "ordering": [{"price": "ASC"}]})
    assert names(by_price) == ["Rain Coat", "Green Jacket"]
    assert names(gql(PRODUCTS, {"filters": {"search": "xylophone"}})) == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text and trigram search")
def test_a_typo_still_finds_the_product_relevance_first(gql, catalog):
    assert names(gql(PRODUCTS, {"filters": {"search": "grene jakcet"}})) == ["Green Jacket"]
    # The name match ranks above the description match.
    assert names(gql(PRODUCTS, {"filters": {"search": "jacket"}})) == ["Green Jacket", "Rain Coat"]


# --- Vouchers and shipping ------------------------------------------------------


def test_a_voucher_and_shipping_method_price_the_cart_and_are_frozen_on_the_order(gql, shop, staff, customer):
    assert [edge["node"]["code"] for edge in gql(VOUCHERS, user=staff)["vouchers"]["edges"]] == ["TENOFF"]
    gql(ADD_TO_CART, {"variantId": shop["variants"]["S"]}, user=customer)
    # 20.00 is below the voucher's minimum.
    assert codes(gql(APPLY_VOUCHER, {"code": "TENOFF"}, user=customer)["applyVoucher"]) == ["VOUCHER_MIN_SUBTOTAL"]
    assert codes(gql(APPLY_VOUCHER, {"code": "NOSUCH"}, user=customer)["applyVoucher"]) == ["VOUCHER_INVALID"]
    cart = ok(gql(ADD_TO_CART, {"variantId": shop["variants"]["M"]}, user=customer)["addToCart"])["cart"]
    assert cart["voucherCode"] is None and cart["discount"] == "0.00"

    cart = ok(gql(APPLY_VOUCHER, {"code": "tenoff"}, user=customer)["applyVoucher"])["cart"]
    assert (cart["voucherCode"], cart["subtotal"], cart["discount"]) == ("TENOFF", "42.50", "4.25")
    assert cart["shippingMethod"] is None and cart["shipping"] == "0.00"
    # The method ships to Germany only: offered once the customer has an address there.
    assert cart["availableShippingMethods"] == []
    address = gql(CREATE_ADDRESS, {"input": ADDRESS_INPUT}, user=customer)["createAddress"]["address"]
    assert gql(CART, user=customer)["cart"]["availableShippingMethods"] == [shop["method"]]

    # Methods ship to Germany, so checking out without one is refused and changes nothing.
    checkout_input = {"shippingAddressId": address["id"], "paymentMethod": "DUMMY"}
    refused = gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"]
    assert codes(refused) == ["SHIPPING_METHOD_REQUIRED"]
    assert gql(CART, user=customer)["cart"]["itemCount"] == 2
    assert gql(ORDERS, user=customer)["orders"]["totalCount"] == 0

    cart = ok(gql(SET_SHIPPING, {"id": shop["method"]["id"]}, user=customer)["setCartShippingMethod"])["cart"]
    assert (cart["shippingMethod"], cart["shipping"]) == (shop["method"], "4.90")
    # tax = 10% of (42.50 - 4.25 + 4.90)
    assert (cart["tax"], cart["total"]) == ("4.32", "47.47")
    assert obeys_the_total_formula(cart)

    order = ok(gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"])["order"]
    frozen = {name: order[name] for name in ("subtotal", "discount", "shipping", "tax", "total", "voucherCode")}
    assert frozen == {
        "subtotal": "42.50",
        "discount": "4.25",
        "shipping": "4.90",
        "tax": "4.32",
        "total": "47.47",
        "voucherCode": "TENOFF",
    }

    # Staff change the voucher and the method afterwards: the placed order keeps its sums.
    ok(gql(UPDATE_VOUCHER, {"id": shop["voucher"]["id"], "input": {"value": "50"}}, user=staff)["updateVoucher"])
    changed_method = {"id": shop["method"]["id"], "input": {"price": "9.90"}}
    ok(gql(UPDATE_SHIPPING, changed_method, user=staff)["updateShippingMethod"])
    again = gql(ORDER, {"id": order["id"]}, user=customer)["order"]
    assert {name: again[name] for name in frozen} == frozen

    # The voucher can come off a cart again.
    gql(ADD_TO_CART, {"variantId": shop["variants"]["M"], "quantity": 2}, user=customer)
    assert ok(gql(APPLY_VOUCHER, {"code": "TENOFF"}, user=customer)["applyVoucher"])["cart"]["discount"] == "22.50"
    removed = ok(gql(REMOVE_VOUCHER, user=customer)["removeVoucher"])["cart"]
    assert removed == {"voucherCode": None, "discount": "0.00"}


def test_an_expired_or_used_up_voucher_is_refused(gql, shop, staff, customer):
    gql(ADD_TO_CART, {"variantId": shop["variants"]["M"], "quantity": 2}, user=customer)
    expired = {"code": "OLD", "kind": "FIXED", "value": "5.00", "endsAt": "2020-01-01T00:00:00Z"}
    ok(gql(CREATE_VOUCHER, {"input": expired}, user=staff)["createVoucher"])
    assert codes(gql(APPLY_VOUCHER, {"code": "OLD"}, user=customer)["applyVoucher"]) == ["VOUCHER_EXPIRED"]
    once = {"code": "ONCE", "kind": "FIXED", "value": "5.00", "usageLimit": 1}
    ok(gql(CREATE_VOUCHER, {"input": once}, user=staff)["createVoucher"])
    ok(gql(APPLY_VOUCHER, {"code": "ONCE"}, user=customer)["applyVoucher"])
    checkout_input = checkout_in_berlin(gql, shop, customer)
    order = ok(gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"])["order"]
    assert (order["voucherCode"], order["discount"]) == ("ONCE", "5.00")
    gql(ADD_TO_CART, {"variantId": shop["variants"]["M"], "quantity": 2}, user=customer)
    assert codes(gql(APPLY_VOUCHER, {"code": "ONCE"}, user=customer)["applyVoucher"]) == ["VOUCHER_USED_UP"]


def test_staff_change_and_delete_variants_vouchers_and_methods_and_carts_follow(gql, shop, staff, customer):
    medium = {"id": shop["variants"]["M"], "input": {"sku": "TEE-MED", "price": None}}
    assert ok(gql(UPDATE_VARIANT, medium, user=staff)["updateProductVariant"])["variant"] == {
        "sku": "TEE-MED",
        "price": "20.00",  # the product's price again
    }
    left = ok(gql(DELETE_VARIANT, {"id": shop["variants"]["L"]}, user=staff)["deleteProductVariant"])
    assert [variant["sku"] for variant in left["product"]["variants"]] == ["TEE-S", "TEE-MED"]

    gql(ADD_TO_CART, {"variantId": shop["variants"]["M"], "quantity": 2}, user=customer)
    ok(gql(APPLY_VOUCHER, {"code": "TENOFF"}, user=customer)["applyVoucher"])
    ok(gql(SET_SHIPPING, {"id": shop["method"]["id"]}, user=customer)["setCartShippingMethod"])
    # Customers manage neither; nothing changed.
    voucher_input = {"code": "FREE", "kind": "FIXED", "value": "100"}
    assert codes(gql(CREATE_VOUCHER, {"input": voucher_input}, user=customer)["createVoucher"]) == ["PERMISSION_DENIED"]
    refused = gql(DELETE_SHIPPING, {"id": shop["method"]["id"]}, user=customer)["deleteShippingMethod"]
    assert codes(refused) == ["PERMISSION_DENIED"]
    assert gql(SHIPPING_METHODS)["shippingMethods"] == [shop["method"]]

    ok(gql(DELETE_VOUCHER, {"id": shop["voucher"]["id"]}, user=staff)["deleteVoucher"])
    ok(gql(DELETE_SHIPPING, {"id": shop["method"]["id"]}, user=staff)["deleteShippingMethod"])
    assert gql(VOUCHERS, user=staff)["vouchers"]["edges"] == []
    assert gql(SHIPPING_METHODS)["shippingMethods"] == []
    cart = gql(CART, user=customer)["cart"]
    assert (cart["voucherCode"], cart["discount"], cart["shippingMethod"], cart["shipping"]) == (
        None,
        "0.00",
        None,
        "0.00",
    )
    assert (cart["subtotal"], cart["tax"], cart["total"]) == ("40.00", "4.00", "44.00")


# --- Guest checkout, fulfilment, events -----------------------------------------


def test_a_guest_buys_pays_gets_the_order_shipped_and_finds_it_on_a_new_account(
    gql,
    shop,
    staff,
    run_tasks,
    link_token,  # noqa: F811 (the fixture imported above)
):
    created = ok(gql(CREATE_GUEST_CART)["createGuestCart"])
    token = created["token"]
    assert created["cart"]["itemCount"] == 0
    guest = as_guest(token)
    ok(gql(ADD_TO_CART, {"variantId": shop["variants"]["M"], "quantity": 2}, **guest)["addToCart"])
    ok(gql(APPLY_VOUCHER, {"code": "TENOFF"}, **guest)["applyVoucher"])
    checkout_input = {"email": "gus@example.com", "shippingAddress": ADDRESS_INPUT, "paymentMethod": "DUMMY"}
    unshipped = gql(GUEST_CHECKOUT, {"input": checkout_input}, **guest)["guestCheckout"]
    assert codes(unshipped) == ["SHIPPING_METHOD_REQUIRED"]
    assert gql(CART, **guest)["cart"]["itemCount"] == 2
    cart = ok(gql(SET_SHIPPING, {"id": shop["method"]["id"]}, **guest)["setCartShippingMethod"])["cart"]
    assert gql(CART, **guest)["cart"] == cart
    assert (cart["voucherCode"], cart["discount"], cart["shipping"]) == ("TENOFF", "4.50", "4.90")
    assert obeys_the_total_formula(cart)
    # Another guest's token sees an empty cart of its own.
    other = as_guest(ok(gql(CREATE_GUEST_CART)["createGuestCart"])["token"])
    assert gql(CART, **other)["cart"]["itemCount"] == 0

    checkout_input |= {"idempotencyKey": "guest-1"}
    order = ok(gql(GUEST_CHECKOUT, {"input": checkout_input}, **guest)["guestCheckout"])["order"]
    assert (order["status"], order["email"], order["user"], order["shippingAddress"]) == (
        "PENDING",
        "gus@example.com",
        None,
        {"city": "Berlin", "country": "DE"},
    )
    assert {name: order[name] for name in ("discount", "shipping", "total")} == {
        name: cart[name] for name in ("discount", "shipping", "total")
    }
    # The same key returns the same order.
    again = ok(gql(GUEST_CHECKOUT, {"input": checkout_input}, **guest)["guestCheckout"])["order"]
    assert again["id"] == order["id"]
    run_tasks()
    assert [message.to for message in mail.outbox] == [["gus@example.com"]]
    mail.outbox.clear()

    # Only the cart's token pays the order.
    assert codes(gql(INITIATE_PAYMENT, {"orderId": order["id"]}, **other)["initiatePayment"]) == ["NOT_FOUND"]
    payment = ok(gql(INITIATE_PAYMENT, {"orderId": order["id"]}, **guest)["initiatePayment"])["payment"]
    confirmed = ok(gql(CONFIRM_PAYMENT, {"id": payment["id"]}, **guest)["confirmPayment"])["payment"]
    assert confirmed["status"] == "SUCCEEDED"
    assert gql(ORDER, {"id": order["id"]}, **guest)["order"]["status"] == "PAID"
    run_tasks()
    mail.outbox.clear()

    # Staff ship one unit of the line, then the rest with no lines given.
    [line] = order["lines"]
    first = {"carrier": "DHL", "trackingNumber": "JD1", "lines": [{"orderLineId": line["id"], "quantity": 1}]}
    shipped = ok(gql(ADD_FULFILMENT, {"orderId": order["id"], "input": first}, user=staff)["addFulfilment"])["order"]
    rest = {"carrier": "DHL", "trackingNumber": "JD2", "trackingUrl": "https://dhl.example/JD2"}
    shipped = ok(gql(ADD_FULFILMENT, {"orderId": order["id"], "input": rest}, user=staff)["addFulfilment"])["order"]
    assert shipped["status"] == "PAID"  # the status machine is unchanged
    assert [
        (
            f["carrier"],
            f["trackingNumber"],
            f["trackingUrl"],
            [(n["orderLine"]["id"], n["quantity"]) for n in f["lines"]],
        )
        for f in shipped["fulfilments"]
    ] == [("DHL", "JD1", None, [(line["id"], 1)]), ("DHL", "JD2", "https://dhl.example/JD2", [(line["id"], 1)])]
    assert all(f["shippedAt"] for f in shipped["fulfilments"])
    # Nothing is left to ship.
    more = gql(ADD_FULFILMENT, {"orderId": order["id"], "input": rest | {"trackingNumber": "JD3"}}, user=staff)
    assert codes(more["addFulfilment"]) == ["FULFILMENT_EXCEEDS_ORDER"]
    run_tasks()
    assert [(m.to, "shipped" in m.subject) for m in mail.outbox] == [(["gus@example.com"], True)] * 2

    # The same email registers and verifies: the guest order is now the account's.
    ok(gql(REGISTER, {"input": {"email": "gus@example.com", "password": DEFAULT_PASSWORD}})["register"])
    run_tasks()
    verified = ok(gql(VERIFY_EMAIL, {"token": link_token("gus@example.com", "verify-email")})["verifyEmail"])
    assert verified["user"] == {"email": "gus@example.com", "emailVerified": True}
    run_tasks()
    login = ok(gql(TOKEN_AUTH, {"email": "gus@example.com", "password": DEFAULT_PASSWORD})["tokenAuth"])
    mine = gql(ORDERS, token=login["token"])["orders"]
    assert [edge["node"]["id"] for edge in mine["edges"]] == [order["id"]]
    on_account = gql(ORDER, {"id": order["id"]}, token=login["token"])["order"]
    assert on_account["user"] == {"email": "gus@example.com"}
    assert len(on_account["fulfilments"]) == 2


def test_fulfilment_needs_staff_and_a_paid_order(gql, shop, staff, customer):
    checkout_input = checkout_in_berlin(gql, shop, customer)
    gql(ADD_TO_CART, {"variantId": shop["variants"]["S"]}, user=customer)
    order = ok(gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"])["order"]
    shipment = {"orderId": order["id"], "input": {"carrier": "UPS", "trackingNumber": "1Z"}}
    assert codes(gql(ADD_FULFILMENT, shipment, user=staff)["addFulfilment"]) == ["ORDER_NOT_FULFILLABLE"]
    assert codes(gql(ADD_FULFILMENT, shipment, user=customer)["addFulfilment"]) == ["PERMISSION_DENIED"]
    assert gql(ORDER, {"id": order["id"]}, user=customer)["order"]["fulfilments"] == []


def test_order_events_page_by_cursor_in_order_without_gaps(gql, shop, staff, customer):
    checkout_input = checkout_in_berlin(gql, shop, customer)
    orders = []
    for _ in range(2):
        gql(ADD_TO_CART, {"variantId": shop["variants"]["S"]}, user=customer)
        orders.append(ok(gql(CHECKOUT, {"input": checkout_input}, user=customer)["checkout"])["order"]["id"])
    for order_id in orders:
        payment = ok(gql(INITIATE_PAYMENT, {"orderId": order_id}, user=customer)["initiatePayment"])["payment"]
        ok(gql(CONFIRM_PAYMENT, {"id": payment["id"]}, user=customer)["confirmPayment"])
    ok(gql(UPDATE_STATUS, {"orderId": orders[0], "status": "COMPLETED"}, user=staff)["updateOrderStatus"])

    everything = gql(ORDER_EVENTS, user=customer)["orderEvents"]
    events = [(edge["node"]["order"]["id"], edge["node"]["toStatus"]) for edge in everything["edges"]]
    for order_id in orders:
        assert [to for of, to in events if of == order_id][-2:] in (["CONFIRMED", "PAID"], ["PAID", "COMPLETED"])
    assert events[-1] == (orders[0], "COMPLETED")
    assert everything["totalCount"] == len(events) and not everything["pageInfo"]["hasNextPage"]
    assert all(edge["cursor"] == edge["node"]["cursor"] for edge in everything["edges"])

    # Paging two at a time by the last cursor gives the same events, in order, once each.
    paged, after = [], None
    while True:
        page = gql(ORDER_EVENTS, {"after": after, "first": 2}, user=customer)["orderEvents"]
        paged += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert paged == everything["edges"]

    # One order's events, and nothing after the last cursor.
    only_second = gql(ORDER_EVENTS, {"orderId": orders[1]}, user=customer)["orderEvents"]["edges"]
    assert [edge["node"]["order"]["id"] for edge in only_second] == [orders[1]] * len(only_second)
    last = everything["edges"][-1]["cursor"]
    assert gql(ORDER_EVENTS, {"after": last}, user=customer)["orderEvents"]["edges"] == []
    invalid = gql.post(ORDER_EVENTS, {"after": "not-a-cursor"}, user=customer).json()
    assert [error["extensions"]["code"] for error in invalid["errors"]] == ["INVALID_CURSOR"]
    # Staff see the customer's events too.
    assert gql(ORDER_EVENTS, user=staff)["orderEvents"]["edges"] == everything["edges"]


@pytest.mark.django_db(transaction=True)
async def test_a_subscriber_resumes_from_a_cursor_without_gap_or_duplicate(gql, shop, staff, customer):
    call = sync_to_async(gql)
    checkout_input = await sync_to_async(checkout_in_berlin)(gql, shop, customer)
    await call(ADD_TO_CART, {"variantId": shop["variants"]["S"]}, user=customer)
    order = ok((await call(CHECKOUT, {"input": checkout_input}, user=customer))["checkout"])["order"]
    [placed] = (await call(ORDER_EVENTS, {"orderId": order["id"]}, user=customer))["orderEvents"]["edges"]
    assert (placed["node"]["fromStatus"], placed["node"]["toStatus"]) == (None, "PENDING")

    # While nobody listens the order is paid.
    payment = ok((await call(INITIATE_PAYMENT, {"orderId": order["id"]}, user=customer))["initiatePayment"])
    ok((await call(CONFIRM_PAYMENT, {"id": payment["payment"]["id"]}, user=customer))["confirmPayment"])
    missed = (await call(ORDER_EVENTS, {"after": placed["cursor"]}, user=customer))["orderEvents"]["edges"]
    assert [edge["node"]["toStatus"] for edge in missed] == ["CONFIRMED", "PAID"]

    client = await connect(customer)
    subscribe = {"query": ORDER_STATUS_CHANGED, "variables": {"orderId": order["id"], "after": placed["cursor"]}}
    await client.ws.send_json_to({"id": "1", "type": "subscribe", "payload": subscribe})
    replayed = [(await client.receive(timeout=10))["payload"]["data"]["orderStatusChanged"] for _ in missed]
    assert replayed == [edge["node"] for edge in missed]
    await asyncio.sleep(0.3)  # graphql-transport-ws does not acknowledge `subscribe`

    await call(UPDATE_STATUS, {"orderId": order["id"], "status": "COMPLETED"}, user=staff)
    live = (await client.receive(timeout=10))["payload"]["data"]["orderStatusChanged"]
    assert (live["fromStatus"], live["toStatus"]) == ("PAID", "COMPLETED")
    assert await client.nothing_arrives()
    await client.ws.disconnect()
    after_all = (await call(ORDER_EVENTS, {"after": placed["cursor"]}, user=customer))["orderEvents"]["edges"]
    assert [edge["node"] for edge in after_all] == [*replayed, live]
    await sync_to_async(connections.close_all)()  # the thread the API calls ran in holds a connection


# --- Operations endpoints -------------------------------------------------------


def test_probes_metrics_and_request_ids(client, settings):
    live = client.get("/health/live", headers={"X-Request-ID": "probe-1"})
    assert (live.status_code, live["X-Request-ID"]) == (200, "probe-1")
    ready = client.get("/health/ready")
    assert ready.status_code == 200, ready.content
    assert ready["X-Request-ID"]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 401
    scrape = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert scrape.status_code == 200 and b"# TYPE" in scrape.content
