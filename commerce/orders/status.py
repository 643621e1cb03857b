"""The order lifecycle: the one transition table and the one way to move along it.

    PENDING -> CONFIRMED -> PAID -> COMPLETED
    PENDING, CONFIRMED -> CANCELLED  (owner or staff)
    PAID -> CANCELLED                (staff only; `commerce.settlement` queues the refund)

Who may make a move is part of the table. `actor=None` is the system itself
(payment providers, the clean-up job): it may make any move of the table. A
partner app holding the `orders:write` scope moves orders as staff do.
`order_transition()` is the only code that writes `Order.status`. It knows
nothing of payments: a move that sets money going (cancelling a PAID order,
marking a cash-on-delivery order PAID) is made through `commerce.settlement`.
"""

from enum import Enum

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from commerce.cache import orders_cache_invalidate
from commerce.catalog.stock import stock_change
from commerce.errors import InvalidTransition
from commerce.models import Order, OrderStatus, OrderStatusChange
from commerce.vouchers.services import voucher_use_release
from partners.actors import Actor, actor_fields
from partners.models import App, AppScope


class Who(Enum):
    STAFF = "staff"
    OWNER_OR_STAFF = "owner or staff"


S = OrderStatus
TRANSITIONS: dict[str, dict[str, Who]] = {
    S.PENDING: {S.CONFIRMED: Who.STAFF, S.CANCELLED: Who.OWNER_OR_STAFF},
    S.CONFIRMED: {S.PAID: Who.STAFF, S.CANCELLED: Who.OWNER_OR_STAFF},
    S.PAID: {S.COMPLETED: Who.STAFF, S.CANCELLED: Who.STAFF},
    S.COMPLETED: {},
    S.CANCELLED: {},
}


def _may(who: Who, *, order: Order, actor: Actor) -> bool:
    if isinstance(actor, App):
        return actor.is_active and actor.has_scope(AppScope.ORDERS_WRITE)
    if actor is None or actor.is_staff:
        return True
    return who is Who.OWNER_OR_STAFF and actor.pk == order.user_id


def available_transitions(*, order: Order, actor: Actor) -> list[str]:
    """The statuses `actor` may move `order` to from its current status."""
    return [to for to, who in TRANSITIONS[order.status].items() if _may(who, order=order, actor=actor)]


def _refused(order: Order, to: str, actor: Actor) -> InvalidTransition:
    allowed = available_transitions(order=order, actor=actor)
    allowed_text = ", ".join(allowed) if allowed else "none"
    return InvalidTransition(
        f"Order {order.number} is {order.status} and cannot become {to}. Allowed next: {allowed_text}.",
        field="status",
    )


def _stock_restore(order: Order, actor: User | None) -> None:
    # Variants deleted since checkout have nothing to go back to.
    lines = list(order.lines.exclude(variant=None).values_list("variant_id", "quantity"))
    if lines:
        stock_change(changes=lines, reason=f"Order {order.number} cancelled", actor=actor)


def order_transition(*, order: Order, to: str, actor: Actor, note: str = "") -> Order:
    """Move `order` to status `to` on behalf of `actor` (None: the system).

    Locks the order row and checks the current status under the lock, so of
    two concurrent moves only one can win. Cancelling puts the stock back
    exactly once, and an unpaid order its voucher use. Events and
    notifications leave on commit. Returns the updated order; raises
    `InvalidTransition` (INVALID_TRANSITION) otherwise.
    """
    from . import events

    if to not in OrderStatus.values:
        raise InvalidTransition(f"{to} is not an order status.", field="status")
    to = OrderStatus(to)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        who = TRANSITIONS[locked.status].get(to)
        if who is None or not _may(who, order=locked, actor=actor):
            raise _refused(locked, to, actor)
        from_status = locked.status
        locked.status = to
        update_fields = ["status", "updated_at"]
        if to == OrderStatus.CANCELLED and locked.stock_restored_at is None:
            _stock_restore(locked, actor if isinstance(actor, User) else None)
            locked.stock_restored_at = timezone.now()
            update_fields.append("stock_restored_at")
        if to == OrderStatus.CANCELLED and from_status != OrderStatus.PAID and locked.voucher_code:
            voucher_use_release(order=locked)  # an unpaid order gives its voucher use back
        locked.save(update_fields=update_fields)
        change = OrderStatusChange.objects.create(
            order=locked, from_status=from_status, to_status=to, note=note.strip(), **actor_fields(actor)
        )
        events.order_status_changed(change=change, order=locked)
        if locked.user_id is not None:
            orders_cache_invalidate(locked.user_id)
    return locked
