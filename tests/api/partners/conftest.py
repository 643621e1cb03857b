"""The fixtures of tests/domain/partners/conftest.py, for these tests too."""

from tests.domain.partners.conftest import *  # noqa: F403
