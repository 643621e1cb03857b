"""Who may do what to accounts other than their own (a logged-in user
manages their own profile, password and addresses)."""

from accounts.models import User
from accounts.principal import Principal


def may_manage_users(principal: Principal) -> bool:
    """Staff list accounts and switch them on or off; partner apps may not."""
    return principal.is_staff


def may_run_unregistered_documents(principal: Principal) -> bool:
    """Where the server runs only its registered GraphQL documents (and allows
    introspection), staff may still send any document: GraphiQL and debugging."""
    return principal.is_staff


def may_change_user(principal: Principal, user: User) -> bool:
    """Staff change customers' accounts; only superusers change staff and superuser accounts."""
    if not may_manage_users(principal):
        return False
    acting = principal.user
    return not (user.is_staff or user.is_superuser) or (acting is not None and acting.is_superuser)
