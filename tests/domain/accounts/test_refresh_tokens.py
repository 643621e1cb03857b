"""Rotating refresh tokens (`accounts.tokens`) in-process."""

import pytest

from accounts.models import RefreshToken

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_use_of_one_refresh_token_rotates_it_once(customer, is_postgres):
    """Two requests racing with the same refresh token: one rotates, the other is a reuse."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL row locks")
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection as default_connection

    from accounts.errors import InvalidToken
    from accounts.tokens import refresh_token_rotate, token_pair_issue

    raw = token_pair_issue(user=customer).refresh_token
    barrier = Barrier(2)

    def rotate() -> str:
        barrier.wait()
        try:
            return "rotated" if refresh_token_rotate(raw) else "?"
        except InvalidToken:
            return "refused"
        finally:
            default_connection.close()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: rotate(), range(2)))

    assert outcomes == ["refused", "rotated"]
    # The loser looked like a replay, so the whole family (the winner's new token too) is revoked.
    assert RefreshToken.objects.filter(user=customer).count() == 2
    assert not RefreshToken.objects.filter(user=customer, revoked_at__isnull=True).exists()
