"""The fixtures of tests/domain/commerce/orders/conftest.py, for these tests too."""

from tests.domain.commerce.orders.conftest import *  # noqa: F403
