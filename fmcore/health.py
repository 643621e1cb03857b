"""`/health/`: JSON status of the database, the cache and the task broker."""

import uuid

import dramatiq
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


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
