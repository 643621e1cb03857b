"""Who may do what outside orders, for each kind of principal: the rules of
`accounts/policy.py`, `partners/policy.py` and `commerce/<domain>/policy.py`."""

import pytest

from accounts import policy as accounts_policy
from accounts.principal import Principal
from commerce.catalog import policy as catalog_policy
from commerce.payments import policy as payments_policy
from commerce.shipping import policy as shipping_policy
from commerce.vouchers import policy as vouchers_policy
from partners import policy as partners_policy
from partners.models import App, AppScope

KINDS = ["anonymous", "customer", "inactive staff", "staff", "superuser", "app catalog:write", "app every scope"]
STAFF = ["staff", "superuser"]


@pytest.fixture
def principals(make_user) -> dict[str, Principal]:
    return {
        "anonymous": Principal.anonymous(),
        "customer": Principal.for_user(make_user()),
        "inactive staff": Principal.for_user(make_user(staff=True, active=False)),
        "staff": Principal.for_user(make_user(staff=True)),
        "superuser": Principal.for_user(make_user(staff=True, superuser=True)),
        "app catalog:write": Principal.for_app(App(name="Catalog", scopes=[AppScope.CATALOG_WRITE.value])),
        "app every scope": Principal.for_app(App(name="All", scopes=list(AppScope.values))),
    }


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        (catalog_policy.may_write_catalog, [*STAFF, "app catalog:write", "app every scope"]),
        (catalog_policy.may_see_hidden_catalog, STAFF),
        (payments_policy.may_refund_payments, STAFF),
        (vouchers_policy.may_manage_vouchers, STAFF),
        (shipping_policy.may_manage_shipping, STAFF),
        (partners_policy.may_manage_apps, STAFF),
        (accounts_policy.may_manage_users, STAFF),
    ],
)
def test_who_passes_each_rule(principals, rule, allowed):
    assert [kind for kind in KINDS if rule(principals[kind])] == allowed


def test_only_superusers_change_staff_accounts(principals, make_user):
    customer, staff = make_user(), make_user(staff=True)
    may_change = accounts_policy.may_change_user
    assert [kind for kind in KINDS if may_change(principals[kind], customer)] == STAFF
    assert [kind for kind in KINDS if may_change(principals[kind], staff)] == ["superuser"]
