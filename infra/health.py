"""Health: `/health/` (JSON status of the database, the cache and the task broker),
and the probes `/health/live` (the process answers) and `/health/ready` (it can serve).

The probes are answered by the first middleware (observability/middleware.py),
so they work whatever ALLOWED_HOSTS is.
"""

import uuid

import dramatiq
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from .outbox import outbox_backlog_status


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _cache() -> bool:
    # django-redis with IGNORE_EXCEPTIONS swallows errors, so write and read back.
    key, value = f"health:{uuid.uuid4().hex}", "ok"
    try:
        cache.set(key, value, timeout=5)
        ok = cache.get(key) == value
        cache.delete(key)
        return ok
    except Exception:
        return False


def _broker() -> bool:
    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is None:  # the in-process stub broker
        return True
    try:
        return bool(client.ping())
    except Exception:
        return False


def health(request):
    checks = {"database": _database(), "cache": _cache(), "broker": _broker()}
    status = "ok" if all(checks.values()) else ("degraded" if checks["database"] else "down")
    body = {"status": status, **{name: "ok" if ok else "unavailable" for name, ok in checks.items()}}
    return JsonResponse(body, status=200 if checks["database"] else 503)


def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _outbox_age() -> float | None:
    try:
        return outbox_backlog_status().oldest_age_seconds
    except Exception:
        return None


def health_ready(request: HttpRequest) -> JsonResponse:
    """503 when the database or the broker is unavailable, or the outbox stopped draining.

    A cache outage is reported but keeps the process ready: fm-core serves
    without its cache (it degrades open), and every instance shares that cache.
    """
    checks = {"database": _database(), "cache": _cache(), "broker": _broker()}
    outbox_age = _outbox_age() if checks["database"] else None
    outbox_ok = outbox_age is not None and outbox_age <= settings.HEALTH_OUTBOX_MAX_AGE_SECONDS
    ready = checks["database"] and checks["broker"] and outbox_ok
    body = {
        "status": ("ok" if checks["cache"] else "degraded") if ready else "unavailable",
        **{name: "ok" if ok else "unavailable" for name, ok in checks.items()},
        "outbox": "ok" if outbox_ok else "unavailable",
        "outboxOldestAgeSeconds": None if outbox_age is None else round(outbox_age, 1),
    }
    return JsonResponse(body, status=200 if ready else 503)
