"""The fixtures of tests/domain/commerce/payments/conftest.py, for these tests too."""

from tests.domain.commerce.payments.conftest import *  # noqa: F403
