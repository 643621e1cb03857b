"""Attempt throttling for login, registration, resends, resets, social login and guest checkout.

An attempt is counted before any work is done, atomically, per email and per
client IP in fixed windows (`AUTH_RATE_LIMIT`); the attempt that takes a
counter over the limit is refused. So parallel attempts cannot all pass a
check made before any of them was counted. Counters live in the cache (Redis
`INCR`); when the cache is unreachable (django-redis with IGNORE_EXCEPTIONS
answers None) they are counted in the database instead, with an atomic upsert.
"""

import hashlib
import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F

from infra.environment import rate_parse
from infra.errors import RateLimited

from .models import ThrottleCounter


def _email_key(scope: str, email: str) -> str:
    email_digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    return f"throttle:{scope}:email:{email_digest}"


def _ip_key(scope: str, ip: str) -> str:
    return f"throttle:{scope}:ip:{ip}"


def _cache_count(key: str, window: int) -> int | None:
    """The counter after adding this attempt; None when the cache is unreachable."""
    for _ in range(3):
        cache.add(key, 0, timeout=window)  # starts the window unless it runs already
        try:
            return cache.incr(key)
        except ValueError:  # the window ended between add and incr: start a new one
            continue
    return None


_UPSERT = """
INSERT INTO {table} ("key", count, window_ends) VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
    count = CASE WHEN {table}.window_ends <= %s THEN 1 ELSE {table}.count + 1 END,
    window_ends = CASE WHEN {table}.window_ends <= %s THEN excluded.window_ends ELSE {table}.window_ends END
RETURNING count
"""


def _database_count(key: str, window: int) -> int:
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(table=ThrottleCounter._meta.db_table), [key, now + window, now, now])
        return cursor.fetchone()[0]


def _count(key: str, window: int) -> int:
    count = _cache_count(key, window)
    return _database_count(key, window) if count is None else count


def throttle_hit(*, scope: str, ip: str, email: str | None = None, rate: str | None = None) -> None:
    """Count one attempt against the IP (and the email); raise `RateLimited` past the limit
    (`rate`, e.g. "20/m"; default `AUTH_RATE_LIMIT`)."""
    limit, window = rate_parse(rate or settings.AUTH_RATE_LIMIT)
    keys = [_ip_key(scope, ip)] + ([_email_key(scope, email)] if email is not None else [])
    counts = [_count(key, window) for key in keys]
    if any(count > limit for count in counts):
        raise RateLimited()


def _forget(key: str) -> None:
    if cache.delete(key) is None:  # the cache is unreachable: the count is in the database
        ThrottleCounter.objects.filter(key=key).delete()


def _give_back(key: str) -> None:
    try:
        if cache.decr(key) is not None:
            return
    except ValueError:  # the window ended meanwhile: nothing to give back
        return
    ThrottleCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def throttle_success(*, scope: str, email: str, ip: str) -> None:
    """A successful attempt: the email starts again, and the IP gets its attempt back,
    so only failures use up an address shared by many people (NAT)."""
    _forget(_email_key(scope, email))
    _give_back(_ip_key(scope, ip))


def throttle_counters_expired_delete(*, now: datetime) -> int:
    """Delete the database counters whose window is over."""
    deleted, _ = ThrottleCounter.objects.filter(window_ends__lte=int(now.timestamp())).delete()
    return deleted
