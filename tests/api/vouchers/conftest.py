"""The fixtures of tests/domain/commerce/vouchers/conftest.py, for these tests too."""

from tests.domain.commerce.vouchers.conftest import *  # noqa: F403
