"""Who may manage vouchers (applying one to a cart is the cart owner's)."""

from accounts.principal import Principal


def may_manage_vouchers(principal: Principal) -> bool:
    """Staff (and the system: demo data) list, create, change and delete vouchers; partner apps may not."""
    return principal.is_staff or principal.is_system
