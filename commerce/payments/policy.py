"""Who may do what to payments beyond paying for an order they see (which
payments a caller sees follows their orders: `commerce.order_visibility`)."""

from accounts.principal import Principal


def may_refund_payments(principal: Principal) -> bool:
    """Staff refund settled payments; partner apps may not."""
    return principal.is_staff
