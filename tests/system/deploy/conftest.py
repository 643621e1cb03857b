import pytest
from django.conf import settings
from django.db import connection

from tests.domain.commerce.orders.conftest import category, fill_cart, make_product, place_order  # noqa: F401


@pytest.fixture
def real_services(transactional_db) -> None:
    """Real processes share this session's PostgreSQL and Redis: skip on the embedded default."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
