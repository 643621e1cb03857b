"""The checkout service (`commerce.checkout.services`) called in-process."""

import pytest

from commerce.checkout.services import order_checkout
from infra.errors import InvalidInput
from tests.factories import cart_fill, make_product


def test_the_service_refuses_an_unknown_payment_method(customer):
    product = make_product(stock=2)
    cart_fill(customer, (product, 1))
    with pytest.raises(InvalidInput):
        order_checkout(user=customer, payment_method="BARTER")
    product.refresh_from_db()
    assert product.stock_quantity == 2
