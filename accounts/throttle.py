"""Failed-attempt throttling for login and password reset, kept in the cache.

Counters are per email and per client IP, in fixed windows. When the cache is
unreachable (django-redis with IGNORE_EXCEPTIONS answers None) throttling
degrades open: logins keep working rather than locking everybody out.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from fmcore.environment import rate_parse
from fmcore.errors import RateLimited


def _rate() -> tuple[int, int]:
    return rate_parse(settings.AUTH_RATE_LIMIT)


def _keys(scope: str, email: str, ip: str) -> list[str]:
    email_digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    return [f"throttle:{scope}:email:{email_digest}", f"throttle:{scope}:ip:{ip}"]


def throttle_check(*, scope: str, email: str, ip: str) -> None:
    """Raise `RateLimited` when the email or the IP used up its attempts."""
    limit, _ = _rate()
    counts = cache.get_many(_keys(scope, email, ip))
    if any((count or 0) >= limit for count in counts.values()):
        raise RateLimited()


def throttle_hit(*, scope: str, email: str, ip: str) -> None:
    """Count one attempt against the email and the IP."""
    _, window = _rate()
    for key in _keys(scope, email, ip):
        if not cache.add(key, 1, timeout=window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=window)


def throttle_reset(*, scope: str, email: str) -> None:
    cache.delete(_keys(scope, email, "-")[0])
