"""`manage.py load_demo_data` (what `make run` seeds): a second run changes
nothing and `--products` sizes the catalog. tests/api/test_demo_shop.py uses the shop it
seeds through the API."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from commerce.models import Address, CartLine, Order, Product, ShippingMethod, Voucher

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out)
    return out.getvalue()


def test_a_second_run_changes_nothing():
    load()
    models = (User, Address, Order, CartLine, Product, Voucher, ShippingMethod)
    before = [m.objects.count() for m in models]
    out = load()
    assert [m.objects.count() for m in models] == before
    assert "created" not in out
    assert "loaded" not in out


def test_products_sizes_the_catalog_beyond_the_demo_file():
    assert "loaded the demo catalog: 4 categories, 30 products" in load("--products", "30")
    assert Product.objects.count() == 30


def test_products_can_shrink_the_catalog():
    load("--products", "3")
    assert Product.objects.count() == 3


def test_products_leaves_a_catalog_that_is_not_empty():
    load()
    assert "the catalog is not empty" in load("--products", "40")
    assert Product.objects.count() == 12


def test_products_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        load("--products", "0")
    assert not Product.objects.exists()
