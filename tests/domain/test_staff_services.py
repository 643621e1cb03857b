"""Staff-only services ask their domain's policy themselves: called directly (a
task, a management command, a test) by a caller the policy refuses, each
raises PERMISSION_DENIED, as the API does, and changes nothing. The system
passes the policies it acts under (demo data, imports, housekeeping)."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts import services as accounts_services
from accounts.models import User
from accounts.principal import Principal
from commerce.catalog import services as catalog_services
from commerce.catalog import variants
from commerce.catalog.importing import catalog_import
from commerce.models import Category, Product, ProductVariant, ShippingMethod, StockMovement, Voucher
from commerce.shipping import services as shipping_services
from commerce.vouchers import services as voucher_services
from infra.errors import PermissionDenied
from partners import services as partner_services
from partners.models import App, AppScope, Webhook, WebhookDelivery
from tests.factories import make_category, make_product


@pytest.fixture
def rows(make_user) -> dict[str, Any]:
    product = make_product(stock=5)
    app, _ = partner_services.app_create(principal=Principal.system(), name="ERP", scopes=[AppScope.ORDERS_READ])
    return {
        "category": make_category(),
        "product": product,
        "variant": product.variants.get(),
        "voucher": Voucher.objects.create(code="TEN", kind="FIXED", value=Decimal("10.00")),
        "shipping": ShippingMethod.objects.create(name="Post", price=Decimal("4.00")),
        "app": app,
        "webhook": Webhook.objects.create(app=app, target_url="https://erp.example.com/hook", events=[]),
        "customer": make_user(),
    }


Call = Callable[[Principal, dict[str, Any]], object]

STAFF_ONLY: dict[str, Call] = {
    "voucher_create": lambda p, r: voucher_services.voucher_create(
        principal=p, changes={"code": "NEW", "kind": "FIXED", "value": Decimal("1.00")}
    ),
    "voucher_update": lambda p, r: voucher_services.voucher_update(
        principal=p, voucher_id=r["voucher"].pk, changes={"value": Decimal("99.00")}
    ),
    "voucher_delete": lambda p, r: voucher_services.voucher_delete(principal=p, voucher_id=r["voucher"].pk),
    "shipping_method_create": lambda p, r: shipping_services.shipping_method_create(
        principal=p, changes={"name": "Courier", "price": Decimal("9.00")}
    ),
    "shipping_method_update": lambda p, r: shipping_services.shipping_method_update(
        principal=p, shipping_method_id=r["shipping"].pk, changes={"price": Decimal("0.00")}
    ),
    "shipping_method_delete": lambda p, r: shipping_services.shipping_method_delete(
        principal=p, shipping_method_id=r["shipping"].pk
    ),
    "app_create": lambda p, r: partner_services.app_create(principal=p, name="Mine", scopes=[AppScope.ORDERS_WRITE]),
    "app_update": lambda p, r: partner_services.app_update(
        principal=p, app_id=r["app"].pk, scopes=list(AppScope.values)
    ),
    "app_token_rotate": lambda p, r: partner_services.app_token_rotate(principal=p, app_id=r["app"].pk),
    "app_delete": lambda p, r: partner_services.app_delete(principal=p, app_id=r["app"].pk),
    "webhook_create": lambda p, r: partner_services.webhook_create(
        principal=p, app_id=r["app"].pk, target_url="https://evil.example.com/", events=[]
    ),
    "webhook_update": lambda p, r: partner_services.webhook_update(
        principal=p, webhook_id=r["webhook"].pk, is_active=False
    ),
    "webhook_secret_rotate": lambda p, r: partner_services.webhook_secret_rotate(
        principal=p, webhook_id=r["webhook"].pk
    ),
    "webhook_delete": lambda p, r: partner_services.webhook_delete(principal=p, webhook_id=r["webhook"].pk),
    "webhook_delivery_retry": lambda p, r: partner_services.webhook_delivery_retry(principal=p, delivery_id=1),
    "webhook_deliveries_retry": lambda p, r: partner_services.webhook_deliveries_retry(principal=p),
    "webhook_deliveries_purge": lambda p, r: partner_services.webhook_deliveries_purge(
        principal=p, older_than=timedelta(0), batch_size=100
    ),
    "user_set_active": lambda p, r: accounts_services.user_set_active(
        principal=p, user_id=r["customer"].pk, active=False
    ),
}

CATALOG_WRITES: dict[str, Call] = {
    "category_create": lambda p, r: catalog_services.category_create(principal=p, name="Mine"),
    "category_update": lambda p, r: catalog_services.category_update(
        principal=p, category_id=r["category"].pk, name="Renamed"
    ),
    "category_set_active": lambda p, r: catalog_services.category_set_active(
        principal=p, category_id=r["category"].pk, active=False
    ),
    "product_create": lambda p, r: catalog_services.product_create(
        principal=p, name="Mine", price=Decimal("1.00"), stock_quantity=1, category_id=r["category"].pk
    ),
    "product_update": lambda p, r: catalog_services.product_update(
        principal=p, product_id=r["product"].pk, price=Decimal("0.01")
    ),
    "product_delete": lambda p, r: catalog_services.product_delete(principal=p, product_id=r["product"].pk),
    "stock_adjust": lambda p, r: catalog_services.stock_adjust(principal=p, product_id=r["product"].pk, delta=100),
    "variant_create": lambda p, r: variants.variant_create(
        principal=p, product_id=r["product"].pk, sku="MINE-1", options=[]
    ),
    "variant_update": lambda p, r: variants.variant_update(principal=p, variant_id=r["variant"].pk, stock_quantity=100),
    "variant_delete": lambda p, r: variants.variant_delete(principal=p, variant_id=r["variant"].pk),
    "catalog_import": lambda p, r: catalog_import(
        principal=p, data={"categories": [{"name": "Imported"}], "products": []}
    ),
}


def _state() -> list[object]:
    """Everything the services above could change."""
    return [
        list(Voucher.objects.values_list("code", "value").order_by("pk")),
        list(ShippingMethod.objects.values_list("name", "price").order_by("pk")),
        list(App.objects.values_list("name", "scopes", "is_active", "token_prefix").order_by("pk")),
        list(Webhook.objects.values_list("target_url", "is_active").order_by("pk")),
        WebhookDelivery.objects.count(),
        list(Category.objects.values_list("name", "is_active").order_by("pk")),
        list(Product.objects.values_list("name", "price", "stock_quantity", "deleted_at").order_by("pk")),
        list(ProductVariant.objects.values_list("sku", "stock_quantity").order_by("pk")),
        StockMovement.objects.count(),
        list(User.objects.values_list("is_active", flat=True).order_by("pk")),
    ]


def _refused(call: Call, principal: Principal, rows: dict[str, Any]) -> None:
    before = _state()
    with pytest.raises(PermissionDenied) as refused:
        call(principal, rows)
    assert refused.value.code == "PERMISSION_DENIED"
    assert _state() == before


def _principals(make_user, *app_scopes: str) -> dict[str, Principal]:
    return {
        "anonymous": Principal.anonymous(),
        "customer": Principal.for_user(make_user()),
        "inactive staff": Principal.for_user(make_user(staff=True, active=False)),
        "app": Principal.for_app(App(name="App", scopes=list(app_scopes))),
    }


@pytest.mark.parametrize("service", STAFF_ONLY)
def test_staff_only_services_refuse_everyone_else(make_user, rows, service):
    for principal in _principals(make_user, *AppScope.values).values():
        _refused(STAFF_ONLY[service], principal, rows)


@pytest.mark.parametrize("service", CATALOG_WRITES)
def test_catalog_writes_refuse_all_but_staff_and_catalog_write_apps(make_user, rows, service):
    others = [scope for scope in AppScope.values if scope != AppScope.CATALOG_WRITE]
    for principal in _principals(make_user, *others).values():
        _refused(CATALOG_WRITES[service], principal, rows)


def test_the_system_manages_what_its_commands_and_jobs_manage(rows):
    system = Principal.system()
    voucher_services.voucher_create(principal=system, changes={"code": "DEMO", "kind": "FIXED", "value": 1})
    shipping_services.shipping_method_create(principal=system, changes={"name": "Demo", "price": Decimal("1.00")})
    assert partner_services.webhook_deliveries_purge(principal=system, older_than=timedelta(0), batch_size=10) == 0
    report = catalog_import(principal=system, data={"categories": [{"name": "Imported"}], "products": []})
    assert report.categories.created == 1
    assert Voucher.objects.filter(code="DEMO").exists()
    assert ShippingMethod.objects.filter(name="Demo").exists()
