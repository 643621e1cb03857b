"""Vouchers and shipping methods made with the ORM (their staff API is tested
on its own); the GraphQL documents are in operations.py."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from commerce.models import ShippingMethod, Voucher
from tests.domain.commerce.orders.conftest import category, fill_cart, make_address, make_product  # noqa: F401


@pytest.fixture
def make_voucher(db) -> Callable[..., Voucher]:
    def make(code: str = "SAVE10", *, kind: str = "PERCENTAGE", value: str = "10", **fields) -> Voucher:
        categories = fields.pop("categories", ())
        voucher = Voucher.objects.create(code=code, kind=kind, value=Decimal(value), **fields)
        voucher.categories.set(categories)
        return voucher

    return make


@pytest.fixture
def make_method(db) -> Callable[..., ShippingMethod]:
    def make(name: str = "Standard", *, price: str = "5.00", **fields) -> ShippingMethod:
        return ShippingMethod.objects.create(name=name, price=Decimal(price), **fields)

    return make
