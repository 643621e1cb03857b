from tests.domain.commerce.orders.conftest import category, fill_cart, make_product, place_order  # noqa: F401
