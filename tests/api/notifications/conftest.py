"""The fixtures of tests/domain/commerce/notifications/conftest.py, for these tests too."""

from tests.domain.commerce.notifications.conftest import *  # noqa: F403
