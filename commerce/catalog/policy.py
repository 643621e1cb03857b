"""Who may do what to the catalog. The schema's permission extensions and
the catalog selectors ask here."""

from accounts.principal import Principal
from partners.models import AppScope


def may_write_catalog(principal: Principal) -> bool:
    """Staff, and partner apps holding `catalog:write`, create and change categories, products and stock."""
    return principal.may(AppScope.CATALOG_WRITE)


def may_see_hidden_catalog(principal: Principal) -> bool:
    """Staff see inactive and deleted catalog entries too; everyone else what the public may buy."""
    return principal.is_staff
