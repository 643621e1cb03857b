"""Order services for the API: find the caller's order, then move it through
`order_transition`, the only writer of an order's status."""

from django.db import transaction

from accounts.models import User
from commerce.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from fmcore.errors import NotFound
from partners.models import App

from . import selectors
from .policy import order_for_shop_action
from .status import order_transition


def _visible_order(*, actor: User, order_id: int) -> Order:
    order = selectors.order_visible(user=actor, order_id=order_id)
    if order is None:
        raise NotFound("No order with this id.", field="orderId")
    return order


def order_cancel(*, actor: User, order_id: int, reason: str = "") -> Order:
    """Cancel an order: the owner while PENDING or CONFIRMED, staff also when
    PAID (a refund is then requested). Restores the stock once.
    Another customer's order is NOT_FOUND."""
    order = _visible_order(actor=actor, order_id=order_id)
    return order_transition(order=order, to=OrderStatus.CANCELLED, actor=actor, note=reason or "")


def order_status_update(*, actor: User | App, order_id: int, status: str, note: str = "") -> Order:
    """Staff, or a partner app holding `orders:write`, move an order to `status`
    along the transition table; the change records them as its actor.
    Moving a cash-on-delivery order to PAID records its cash as collected."""
    order = order_for_shop_action(actor=actor, order_id=order_id)
    if status != OrderStatus.PAID:
        return order_transition(order=order, to=status, actor=actor, note=note or "")
    return _order_mark_paid(order=order, actor=actor, note=note)


def _order_mark_paid(*, order: Order, actor: User | App, note: str) -> Order:
    """Marking an order PAID collects its cash-on-delivery payment, in the same transaction."""
    from commerce.payments.services import payment_cod_collect

    with transaction.atomic():
        # The order row is locked first here; the collection then locks the payment.
        order = order_transition(order=order, to=OrderStatus.PAID, actor=actor, note=note or "")
        cod = order.payments.filter(method=PaymentMethod.COD, status=PaymentStatus.PENDING).order_by("pk").first()
        if cod is not None:
            payment_cod_collect(payment=cod, actor=actor if isinstance(actor, User) else None)
    return order
