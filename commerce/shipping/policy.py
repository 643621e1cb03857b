"""Who may manage shipping methods (choosing one for a cart is the cart owner's)."""

from accounts.principal import Principal


def may_manage_shipping(principal: Principal) -> bool:
    """Staff (and the system: demo data) create, change and delete shipping methods; partner apps may not."""
    return principal.is_staff or principal.is_system
