"""The order lifecycle: the one transition table and the one way to move along it.

    PENDING -> CONFIRMED -> PAID -> COMPLETED
    PENDING, CONFIRMED, PAID -> CANCELLED

Who may make each move is `commerce.orders.policy.may_move_order`, asked of
the caller's `Principal` (`Principal.system()`: payment providers, the
clean-up job).
`order_transition()` is the only code that writes `Order.status`. It knows
nothing of payments: a move that sets money going (cancelling a PAID order,
marking a cash-on-delivery order PAID) is made through `commerce.settlement`,
and cancelling a PAID order is refused unless the caller hands over the
refund it owes (`refund`), which only settlement does.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accounts.principal import Principal
from commerce.cache import orders_cache_invalidate
from commerce.catalog.stock import stock_change
from commerce.errors import InvalidTransition
from commerce.models import Order, OrderStatus, OrderStatusChange
from commerce.vouchers.services import voucher_use_release
from partners.change_actor import actor_fields

from .policy import may_move_order

S = OrderStatus
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PENDING: (S.CONFIRMED, S.CANCELLED),
    S.CONFIRMED: (S.PAID, S.CANCELLED),
    S.PAID: (S.COMPLETED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (),
}

# The moves that owe the buyer a refund: made only with `order_transition(refund=...)`.
REFUND_OWED = {(S.PAID, S.CANCELLED)}


def available_transitions(*, order: Order, principal: Principal) -> list[str]:
    """The statuses `principal` may move `order` to from its current status."""
    return [to for to in TRANSITIONS[order.status] if may_move_order(principal, order, to)]


def _refused(order: Order, to: str, principal: Principal) -> InvalidTransition:
    allowed = available_transitions(order=order, principal=principal)
    allowed_text = ", ".join(allowed) if allowed else "none"
    return InvalidTransition(
        f"Order {order.number} is {order.status} and cannot become {to}. Allowed next: {allowed_text}.",
        field="status",
    )


def _stock_restore(order: Order, principal: Principal) -> None:
    # Variants deleted since checkout have nothing to go back to.
    lines = list(order.lines.exclude(variant=None).values_list("variant_id", "quantity"))
    if lines:
        stock_change(changes=lines, reason=f"Order {order.number} cancelled", actor=principal.user)


def order_transition(
    *, order: Order, to: str, principal: Principal, note: str = "", refund: Callable[[Order], None] | None = None
) -> Order:
    """Move `order` to status `to` on behalf of `principal`, recorded as its actor.

    Locks the order row and checks the current status under the lock, so of
    two concurrent moves only one can win. Cancelling puts the stock back
    exactly once, and an unpaid order its voucher use. Cancelling a PAID
    order calls `refund` with the locked order, inside the transaction, and
    is refused without one. Events and notifications leave on commit.
    Returns the updated order; raises `InvalidTransition` (INVALID_TRANSITION)
    otherwise.
    """
    from . import events

    if to not in OrderStatus.values:
        raise InvalidTransition(f"{to} is not an order status.", field="status")
    to = OrderStatus(to)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if to not in TRANSITIONS[locked.status] or not may_move_order(principal, locked, to):
            raise _refused(locked, to, principal)
        refund_owed = (locked.status, to) in REFUND_OWED
        if refund_owed and refund is None:
            raise InvalidTransition(
                f"Order {locked.number} is paid: cancelling it refunds its payments, through commerce.settlement.",
                field="status",
            )
        from_status = locked.status
        locked.status = to
        update_fields = ["status", "updated_at"]
        if to == OrderStatus.CANCELLED and locked.stock_restored_at is None:
            _stock_restore(locked, principal)
            locked.stock_restored_at = timezone.now()
            update_fields.append("stock_restored_at")
        if to == OrderStatus.CANCELLED and from_status != OrderStatus.PAID and locked.voucher_code:
            voucher_use_release(order=locked)  # an unpaid order gives its voucher use back
        locked.save(update_fields=update_fields)
        change = OrderStatusChange.objects.create(
            order=locked, from_status=from_status, to_status=to, note=note.strip(), **actor_fields(principal.actor)
        )
        events.order_status_changed(change=change, order=locked)
        if refund_owed and refund is not None:
            refund(locked)
        if locked.user_id is not None:
            orders_cache_invalidate(locked.user_id)
    return locked
