"""Who may manage partner apps, their tokens, webhooks and deliveries. What
an app itself may do is its scopes (`Principal.has_scope`)."""

from accounts.principal import Principal


def may_manage_apps(principal: Principal) -> bool:
    """Staff, and the system (housekeeping); apps may not manage apps, not even their own."""
    return principal.is_staff or principal.is_system
