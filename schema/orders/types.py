from collections.abc import Callable, Hashable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay
from strawberry_django.fields.types import OperationInfo

from accounts.models import User
from commerce.event_stream import ORDER_EVENTS
from commerce.models import Order, OrderLine, OrderStatusChange
from commerce.notifications.services import order_recipient
from commerce.orders.policy import may_see_change_actor
from commerce.orders.status import available_transitions
from schema.accounts.types import UserType
from schema.catalog.types import ProductType, ProductVariantType
from schema.context import Info
from schema.enums import OrderStatus, PaymentMethod
from schema.fulfilment.types import FulfilmentType
from schema.stream_events import status_event_fields

if TYPE_CHECKING:
    from schema.payments.types import PaymentType


@strawberry_django.filter_type(Order, description="Narrow the orders list.")
class OrderFilter:
    @strawberry_django.filter_field(description="Only orders in this status.")
    def status(self, value: OrderStatus, prefix: str) -> Q:
        return Q(**{f"{prefix}status": value.value})

    @strawberry_django.filter_field(description="Part of the customer's email, any case (useful to staff).")
    def user_email(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}user__email__icontains": value})

    @strawberry_django.filter_field(description="Placed at or after this time.")
    def created_after(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__gte": value})

    @strawberry_django.filter_field(description="Placed before this time.")
    def created_before(self, value: datetime, prefix: str) -> Q:
        return Q(**{f"{prefix}created_at__lt": value})


@strawberry_django.order_type(Order)
class OrderOrder:
    created_at: auto
    total: auto
    number: auto
    status: auto


@strawberry.type(description="The shipping address as it was when the order was placed.")
class OrderAddress:
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str


@strawberry_django.type(
    OrderLine, name="OrderLine", description="One product of an order, with its name and price frozen at checkout."
)
class OrderLineType(relay.Node):
    """One product of an order, with its name and price frozen at checkout."""

    product_name: auto
    unit_price: Decimal = strawberry_django.field(description="Price of one unit when the order was placed.")
    quantity: int
    line_total: Decimal
    product: ProductType | None = strawberry_django.field(
        description="The product today; null if it was removed from the catalog since."
    )
    variant_name: auto = strawberry_django.field(
        description='The variant\'s name when the order was placed, e.g. "M"; empty for a default variant.'
    )
    sku: auto = strawberry_django.field(description="The variant's SKU when the order was placed.")
    variant: ProductVariantType | None = strawberry_django.field(
        description="The variant today; null if it was deleted since."
    )


@strawberry_django.type(OrderStatusChange, name="OrderStatusChange", description="One step of an order's history.")
class OrderStatusChangeType:
    to_status: OrderStatus
    note: auto
    created_at: auto

    @strawberry_django.field(description="Null for the first step (the order was placed).", only=["from_status"])
    def from_status(self, root: OrderStatusChange) -> OrderStatus | None:
        return OrderStatus(root.from_status) if root.from_status else None

    @strawberry_django.field(
        description="Who made the change: visible to staff and to the person themself; null for the system.",
        graphql_type=UserType | None,
        select_related=["actor"],
        only=["actor_id"],
    )
    def actor(self, root: OrderStatusChange, info: Info) -> User | None:
        return root.actor if may_see_change_actor(info.context.principal, root) else None

    @strawberry_django.field(
        description="Who made the change: CUSTOMER, STAFF, APP (a partner app) or SYSTEM.",
        select_related=["actor"],
        only=["actor_id", "actor__is_staff", "actor_app_id"],
    )
    def actor_role(self, root: OrderStatusChange) -> str:
        if root.actor_app_id is not None:
            return "APP"
        if root.actor is None:
            return "SYSTEM"
        return "STAFF" if root.actor.is_staff else "CUSTOMER"


@strawberry_django.type(Order, name="Order", filters=OrderFilter, ordering=OrderOrder)
class OrderType(relay.Node):
    """A placed order. Customers see their own, staff see all; totals and
    status are written by the server only."""

    number: auto
    status: OrderStatus
    user: UserType | None = strawberry_django.field(
        description="The customer; null for a guest's order (until that email's account is verified)."
    )
    lines: list[OrderLineType]
    subtotal: Decimal
    discount: Decimal = strawberry_django.field(description="The voucher's discount, frozen at checkout.")
    shipping: Decimal = strawberry_django.field(description="The shipping price, frozen at checkout.")
    tax: Decimal = strawberry_django.field(description="Tax on subtotal - discount (and shipping, per TAX_SHIPPING).")
    total: Decimal = strawberry_django.field(description="subtotal - discount + shipping + tax.")
    currency: auto
    payment_method: PaymentMethod
    note: auto
    history: list[OrderStatusChangeType] = strawberry_django.field(description="Every status change, oldest first.")
    payments: list[Annotated["PaymentType", strawberry.lazy("schema.payments.types")]] = strawberry_django.field(
        description="Every payment attempt, newest first."
    )
    fulfilments: list[FulfilmentType] = strawberry_django.field(description="Every shipment, oldest first.")
    created_at: auto
    updated_at: auto

    @strawberry_django.field(
        description="Where the order's mails go: the customer's email, or the email a guest checked out with.",
        select_related=["user"],
        only=["email", "user__email"],
    )
    def email(self, root: Order) -> str:
        return order_recipient(root)

    @strawberry_django.field(
        description="The address the order ships to, frozen at checkout.", only=["shipping_address"]
    )
    def shipping_address(self, root: Order) -> OrderAddress | None:
        data = root.shipping_address
        if not data:
            return None
        return OrderAddress(**{name: data.get(name, "") for name in OrderAddress.__annotations__})

    @strawberry_django.field(description="The code of the voucher used; null when none.", only=["voucher_code"])
    def voucher_code(self, root: Order) -> str | None:
        return root.voucher_code or None

    @strawberry_django.field(
        description="The name of the shipping method chosen; null when none.", only=["shipping_method_name"]
    )
    def shipping_method_name(self, root: Order) -> str | None:
        return root.shipping_method_name or None

    @strawberry_django.field(
        description="The statuses the caller may move this order to now.", only=["status", "user_id"]
    )
    def available_transitions(self, root: Order, info: Info) -> list[OrderStatus]:
        return [OrderStatus(to) for to in available_transitions(order=root, principal=info.context.principal)]


@strawberry.type
class OrderPayload:
    order: Order = strawberry.field(graphql_type=OrderType)


OrderResult = Annotated[OrderPayload | OperationInfo, strawberry.union("OrderResult")]


@strawberry.type(description="A committed change of an order's status.")
class OrderStatusEvent:
    order: Order = strawberry.field(graphql_type=OrderType)
    from_status: OrderStatus | None = strawberry.field(description="Null when the order was just placed.")
    to_status: OrderStatus
    changed_at: datetime
    cursor: str = strawberry.field(
        description="This event's place in the stream: pass it as `after` to resume right after it."
    )
    # Names a live event for every subscriber of this process (schema/shared_results.py).
    shared_as: strawberry.Private[Hashable | None] = None

    @classmethod
    def from_change(cls, change: OrderStatusChange) -> "OrderStatusEvent":
        return cls(order=change.order, **status_event_fields(change, stream=ORDER_EVENTS, status=OrderStatus))


@strawberry.type(description="One order event and the cursor to resume after it.")
class OrderEventEdge:
    cursor: str
    node: OrderStatusEvent


@strawberry.type(description="A page of order events in stream order, oldest first.")
class OrderEventConnection:
    edges: list[OrderEventEdge]
    page_info: relay.PageInfo
    count: strawberry.Private[Callable[[], int]]

    @strawberry_django.field(description="How many events you may see after `after` (this page and the rest).")
    def total_count(self) -> int:
        return self.count()
