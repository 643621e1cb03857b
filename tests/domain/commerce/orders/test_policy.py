"""Who may do what to orders, for each kind of principal (`commerce.orders.policy`,
`commerce.order_visibility`), and the one scope check (`Principal.has_scope`)."""

import pytest

from accounts.principal import Principal
from commerce.cart.guests import Guest
from commerce.models import Cart, Order
from commerce.order_visibility import may_read_all_orders, order_events_access_check, orders_visible
from commerce.orders.policy import may_manage_orders, may_move_order
from infra.errors import DomainError
from partners.models import App, AppScope
from tests.factories import order_guest_place

KINDS = [
    "anonymous",
    "guest",
    "owner",
    "other customer",
    "inactive staff",
    "staff",
    "app orders:read",
    "app orders:write",
    "inactive app",
    "system",
]
READ, WRITE = AppScope.ORDERS_READ.value, AppScope.ORDERS_WRITE.value


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def guest_cart(db) -> Cart:
    return Cart.objects.create(token_hash="0" * 64)


@pytest.fixture
def principals(owner, make_user, guest_cart) -> dict[str, Principal]:
    return {
        "anonymous": Principal.anonymous(),
        "guest": Principal.for_guest(Guest(cart_id=guest_cart.pk)),
        "owner": Principal.for_user(owner),
        "other customer": Principal.for_user(make_user()),
        "inactive staff": Principal.for_user(make_user(staff=True, active=False)),
        "staff": Principal.for_user(make_user(staff=True)),
        "app orders:read": Principal.for_app(App(name="Reader", scopes=[READ])),
        "app orders:write": Principal.for_app(App(name="Writer", scopes=[WRITE])),
        "inactive app": Principal.for_app(App(name="Off", scopes=[READ, WRITE], is_active=False)),
        "system": Principal.system(),
    }


def _allowed(principals: dict[str, Principal], may) -> list[str]:
    return [kind for kind in KINDS if may(principals[kind])]


def test_scope_checks_ask_the_app_and_an_inactive_app_holds_none(principals):
    assert [kind for kind in KINDS if principals[kind].has_scope(READ)] == ["app orders:read"]
    assert [kind for kind in KINDS if principals[kind].has_scope(WRITE)] == ["app orders:write"]
    # Staff and the system hold no scope; they may do what any scope grants.
    assert _allowed(principals, lambda p: p.may(WRITE)) == ["staff", "app orders:write", "system"]


def test_who_reads_every_order_and_who_acts_as_the_shop(principals):
    assert _allowed(principals, may_read_all_orders) == ["staff", "app orders:read", "system"]
    assert _allowed(principals, may_manage_orders) == ["staff", "app orders:write", "system"]


SHOP = ["staff", "app orders:write", "system"]


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("PENDING", "CONFIRMED", SHOP),
        ("PENDING", "CANCELLED", ["owner", *SHOP]),
        ("CONFIRMED", "PAID", SHOP),
        ("CONFIRMED", "CANCELLED", ["owner", *SHOP]),
        ("PAID", "COMPLETED", SHOP),
        # Who may cancel a PAID order: the shop only (settlement then queues the refund).
        ("PAID", "CANCELLED", SHOP),
    ],
)
def test_who_may_make_each_move(principals, owner, start, to, allowed):
    order = Order(status=start, user_id=owner.pk)
    assert _allowed(principals, lambda p: may_move_order(p, order, to)) == allowed


def test_which_orders_each_principal_sees(principals, owner, make_user, make_product, place_order, guest_cart):
    own = place_order(owner)
    someone_elses = place_order(make_user())
    guests = order_guest_place(guest_cart, (make_product(), 1))
    names = {own.pk: "own", someone_elses.pk: "other", guests.pk: "guest's"}

    def seen(kind: str) -> set[str]:
        return {names[pk] for pk in Order.objects.filter(orders_visible(principals[kind])).values_list("pk", flat=True)}

    everything = {"own", "other", "guest's"}
    assert {kind: seen(kind) for kind in KINDS} == {
        "anonymous": set(),
        "guest": {"guest's"},
        "owner": {"own"},
        "other customer": set(),
        "inactive staff": set(),
        "staff": everything,
        "app orders:read": everything,
        "app orders:write": set(),
        "inactive app": set(),
        "system": everything,
    }


def test_who_may_follow_order_events(principals):
    def outcome(kind: str) -> str:
        try:
            order_events_access_check(principal=principals[kind])
        except DomainError as error:
            return error.code
        return "ok"

    assert {kind: outcome(kind) for kind in KINDS} == {
        "anonymous": "UNAUTHENTICATED",
        "guest": "ok",
        "owner": "ok",
        "other customer": "ok",
        "inactive staff": "UNAUTHENTICATED",
        "staff": "ok",
        "app orders:read": "ok",
        "app orders:write": "PERMISSION_DENIED",
        "inactive app": "PERMISSION_DENIED",
        "system": "ok",
    }
