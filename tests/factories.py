"""The suite's shared factories: global ids, addresses, catalog rows, carts, and
orders placed through the checkout service, so every order a test pays or
moves has lines, took its stock and recorded its PENDING step as a real one.

Plain functions: a fixture that wants on-commit work to run wraps the call in
`django_capture_on_commit_callbacks(execute=True)`.
"""

from collections.abc import Callable
from decimal import Decimal
from itertools import count

from django.test import override_settings
from strawberry.relay import from_base64, to_base64

from accounts.models import User
from accounts.principal import Principal
from commerce.addresses.services import AddressData
from commerce.cart.guests import Guest
from commerce.catalog.options import default_variants_seed
from commerce.checkout.services import order_checkout, order_guest_checkout
from commerce.models import (
    Address,
    Cart,
    CartLine,
    Category,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Product,
    ProductImage,
)
from commerce.orders.status import order_transition

_numbers = count(1)

# An `AddressInput` (createAddress, a guest checkout's shippingAddress) and the same address as the services take it.
ADDRESS_INPUT: dict[str, str] = {"fullName": "Gus Guest", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
ADDRESS_DATA = AddressData(full_name="Gus Guest", line1="Main St 1", city="Berlin", country="DE")

# The statuses a placed order passes through on the way to each, moved by the system.
ORDER_PATH: dict[str, list[str]] = {
    OrderStatus.PENDING: [],
    OrderStatus.CONFIRMED: [OrderStatus.CONFIRMED],
    OrderStatus.PAID: [OrderStatus.CONFIRMED, OrderStatus.PAID],
    OrderStatus.COMPLETED: [OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.COMPLETED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


def gid(type_name: str, pk: int) -> str:
    """The relay global id of the `type_name` row `pk`."""
    return to_base64(type_name, pk)


def pk_of(global_id: str) -> int:
    return int(from_base64(global_id)[1])


def make_category(name: str | None = None, *, active: bool = True, **fields) -> Category:
    n = next(_numbers)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=fields.pop("slug", f"category-{n}"), is_active=active, **fields)


def make_product(
    name: str | None = None,
    *,
    category: Category | None = None,
    price: str | Decimal = "10.00",
    stock: int = 10,
    active: bool = True,
    images: int = 0,
    **fields,
) -> Product:
    """A product with its default variant (and `images` images)."""
    n = next(_numbers)
    product = Product.objects.create(
        name=name or f"Product {n}",
        slug=fields.pop("slug", f"product-{n}"),
        price=Decimal(price),
        stock_quantity=stock,
        category=category or make_category(),
        is_active=active,
        **fields,
    )
    default_variants_seed([product])
    for position in range(images):
        ProductImage.objects.create(
            product=product, url=f"https://img.example.com/{n}/{position}.jpg", position=position
        )
    return product


def make_address(user: User, *, default: bool = False, city: str = "Lisbon") -> Address:
    return Address.objects.create(
        user=user, full_name="Cora Customer", line1="Rua 1", city=city, country="PT", is_default=default
    )


def cart_fill(user: User, *items: tuple[Product, int]) -> Cart:
    """`user`'s cart holding `quantity` of each product's default variant."""
    cart, _ = Cart.objects.get_or_create(user=user)
    _cart_lines_set(cart, items)
    return cart


def _cart_lines_set(cart: Cart, items: tuple[tuple[Product, int], ...]) -> None:
    for product, quantity in items:
        CartLine.objects.update_or_create(
            cart=cart, product=product, variant=product.variants.get(), defaults={"quantity": quantity}
        )


def order_place(
    user: User, *items: tuple[Product, int], method: str = PaymentMethod.DUMMY, idempotency_key: str | None = None
) -> Order:
    """`user`'s order of `items`, checked out by the checkout service (which empties `user`'s cart)."""
    cart_fill(user, *items)
    return order_checkout(user=user, payment_method=method, idempotency_key=idempotency_key)


def order_guest_place(
    cart: Cart, *items: tuple[Product, int], email: str = "guest@example.com", method: str = PaymentMethod.DUMMY
) -> Order:
    """The guest cart `cart`'s order of `items` for `email`, checked out by the guest checkout service."""
    _cart_lines_set(cart, items)
    return order_guest_checkout(
        guest=Guest(cart_id=cart.pk),
        email=email,
        shipping_address=ADDRESS_DATA,
        payment_method=method,
        client_ip="127.0.0.1",
    )


def order_of_total(
    user: User,
    total: str = "19.99",
    *,
    currency: str = "USD",
    method: str = PaymentMethod.DUMMY,
    status: str = OrderStatus.PENDING,
) -> Order:
    """An order of one product priced `total`, untaxed, checked out in a shop
    whose currency is `currency`, then moved to `status` by the system."""
    with override_settings(CURRENCY=currency, TAX_RATE=Decimal("0")):
        order = order_place(user, (make_product(price=total, stock=1), 1), method=method)
    return order_advance(order, status)


def orders_bulk_for_load(count: int, *, user_of: Callable[[int], User]) -> list[Order]:
    """`count` line-less orders in one insert, the n-th `user_of(n)`'s, numbered P-n, totalling n and
    cycling through the statuses: only for measuring queries over thousands of rows, which checking
    out one by one would take minutes to build."""
    statuses = [OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.CANCELLED]
    return Order.objects.bulk_create(
        Order(
            number=f"P-{n}",
            user=user_of(n),
            status=statuses[n % len(statuses)],
            subtotal=Decimal(n),
            tax=Decimal(0),
            total=Decimal(n),
            payment_method=PaymentMethod.COD,
        )
        for n in range(count)
    )


def order_pinned_for_payloads(user: User) -> Order:
    """A PAID CARD order of two 10.00 Mugs (tax 3.80) to a two-field address, with no recorded steps,
    built as rows: the webhook payload tests pin every field of it, which checkout's full address
    snapshot and PENDING-to-PAID history would change."""
    order = Order.objects.create(
        user=user,
        status=OrderStatus.PAID,
        subtotal=Decimal("20.00"),
        tax=Decimal("3.80"),
        total=Decimal("23.80"),
        payment_method=PaymentMethod.CARD,
        shipping_address={"line1": "1 Main St", "city": "Springfield"},
    )
    OrderLine.objects.create(
        order=order, product_name="Mug", unit_price=Decimal("10.00"), quantity=2, line_total=Decimal("20.00")
    )
    return order


def order_advance(order: Order, to: str) -> Order:
    """Walk a PENDING `order` along the lifecycle to `to`, as the system would."""
    for step in ORDER_PATH[to]:
        order = order_transition(order=order, to=step, principal=Principal.system())
    return order
