"""Read caching for the catalog and carts, invalidated by version tokens.

Every cached value is stored with the *version tokens* it was loaded under (or
under a key embedding them); a write replaces the token (on commit), so readers
stop accepting the old entries and nothing has to be deleted. Tokens are random, not counters: if one is lost
(eviction, a flushed Redis) the next reader mints a fresh one and can never
land on an old entry.

- `catalog`: one token for every product and category read. Any catalog
  write bumps it (`catalog_cache_invalidate`).
- `cart:<user id>`: one token per user; carts also embed the catalog token,
  since a cart shows current product prices.
- `orders:<user id>`: one token per user, bumped by checkout and every
  status change (`orders_cache_invalidate`).

The cache is an optimisation only: with Redis down (django-redis with
`IGNORE_EXCEPTIONS`) reads miss, writes are dropped and everything is read
from the database. Values expire after `CACHE_TTL` seconds, which bounds
staleness if an invalidation was lost while Redis was unreachable.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

CACHE_TTL = 300
T = TypeVar("T")


def version_key(scope: str) -> str:
    """The cache key holding the version token of `scope`."""
    return f"v:{scope}"


def cache_versions(*scopes: str) -> str:
    """The current version tokens of `scopes`, joined with ":", read in one round trip;
    a scope without one gets a token minted."""
    keys = [version_key(scope) for scope in scopes]
    found: dict[str, Any] = _safe(lambda: cache.get_many(keys)) or {}
    return _versions_of(keys, found)


def _versions_of(keys: list[str], found: dict[str, Any]) -> str:
    return ":".join(found.get(key) or _version_mint(key) for key in keys)


def versioned_get(key: str, scopes: tuple[str, ...]) -> tuple[Any, str]:
    """The value stored under `key` by `versioned_set` for the current versions of
    `scopes` (None if it was stored for others, or is missing), and those versions:
    the value and the versions are read in one round trip."""
    version_keys = [version_key(scope) for scope in scopes]
    found: dict[str, Any] = _safe(lambda: cache.get_many([*version_keys, key])) or {}
    versions = _versions_of(version_keys, found)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == versions:
        return stored[1], versions
    return None, versions


def versioned_set(key: str, versions: str, value: Any) -> None:
    """Store `value` under `key` for `versions`, as `versioned_get` returned them
    before the value was loaded: a value loaded while a write commits is stored
    for the old versions and never served after the bump."""
    _safe(lambda: cache.set(key, (versions, value), timeout=CACHE_TTL))


def _version_mint(key: str) -> str:
    token = uuid.uuid4().hex
    # `add` keeps a token another process minted in the meantime.
    if not _safe(lambda: cache.add(key, token, timeout=None)):
        token = _safe(lambda: cache.get(key)) or token
    return token


def _bump(scope: str) -> None:
    _safe(lambda: cache.set(version_key(scope), uuid.uuid4().hex, timeout=None))


def _safe(operation: Callable[[], Any]) -> Any:
    """Run a cache operation; a broken cache behaves like an empty one."""
    try:
        return operation()
    except Exception:  # any backend failure: the database stays the source of truth
        logger.warning("cache unavailable", exc_info=True)
        return None


def cached(key: str, scopes: tuple[str, ...], load: Callable[[], T]) -> T:
    """The value under `key` for the current versions of `scopes`, loading it on a miss."""
    value, versions = versioned_get(key, scopes)
    if value is not None:
        return value
    value = load()
    if value is not None:
        versioned_set(key, versions, value)
    return value


def catalog_scope() -> str:
    return "catalog"


def cart_scope(user_id: int) -> str:
    return f"cart:{user_id}"


def orders_scope(user_id: int) -> str:
    return f"orders:{user_id}"


def catalog_cache_invalidate() -> None:
    """Forget every cached product and category read (and cart, for its prices), on commit.

    Call it from any code that writes Product/Category rows (stock included).
    """
    transaction.on_commit(lambda: _bump(catalog_scope()))


def cart_cache_invalidate(user_id: int) -> None:
    """Forget the cached cart of one user, on commit (e.g. after checkout cleared it)."""
    transaction.on_commit(lambda: _bump(cart_scope(user_id)))


def orders_cache_invalidate(user_id: int) -> None:
    """Forget everything cached about one user's orders, on commit."""
    transaction.on_commit(lambda: _bump(orders_scope(user_id)))


def pricing_scope() -> str:
    return "pricing"


def pricing_cache_invalidate() -> None:
    """Forget every cached cart (their discounts and shipping), on commit: vouchers or shipping methods changed."""
    transaction.on_commit(lambda: _bump(pricing_scope()))
