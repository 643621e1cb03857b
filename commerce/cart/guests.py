"""Guest carts: a cart without an account, opened by an unguessable token.

`guest_cart_create` mints the token (`secrets.token_urlsafe(32)`, 256 bits)
and returns it once; only its SHA-256 is stored, so a database leak reveals
no usable token. Looking a token up is an equality match on that hash (a
unique index): nothing about the token itself is compared byte by byte, so
timing says nothing about it. A guest cart untouched for
`GUEST_CART_TTL_DAYS` no longer opens and is deleted by the clean-up.

`CartOwner` is whose cart an operation is on: a signed-in `User` or a
`Guest`. Every cart service, checkout and the payment access decision take
one, so the same rules serve both.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.throttle import throttle_hit
from commerce.cache import cart_cache_invalidate
from commerce.models import Cart
from infra.purge import queryset_delete_in_batches

# Far longer than any token we mint: a longer header is refused before hashing.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class Guest:
    """A shopper without an account, known by the guest cart their token opens."""

    cart_id: int


CartOwner = User | Guest


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _open_since(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.GUEST_CART_TTL_DAYS)


def guest_cart_create(*, client_ip: str) -> tuple[str, Cart]:
    """A new empty guest cart and its token (shown to the guest once, never stored).
    Throttled per client IP (`GUEST_RATE_LIMIT`, RATE_LIMITED beyond it)."""
    throttle_hit(scope="guest-cart", ip=client_ip, rate=settings.GUEST_RATE_LIMIT)
    token = secrets.token_urlsafe(32)
    cart = Cart.objects.create(token_hash=_token_hash(token))
    return token, cart


def guest_for_token(token: str | None) -> Guest | None:
    """The guest whose cart `token` opens; None for an unknown, malformed or expired token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    cart_id = (
        Cart.objects.filter(token_hash=_token_hash(token), user__isnull=True, updated_at__gte=_open_since())
        .values_list("pk", flat=True)
        .first()
    )
    return Guest(cart_id=cart_id) if cart_id is not None else None


def owner_carts(owner: CartOwner) -> QuerySet[Cart]:
    """The owner's cart (at most one row)."""
    if isinstance(owner, Guest):
        return Cart.objects.filter(pk=owner.cart_id, user__isnull=True)
    return Cart.objects.filter(user=owner)


def owner_actor(owner: CartOwner) -> User | None:
    """Whom to record as the actor of the owner's changes: the user, nobody for a guest."""
    return owner if isinstance(owner, User) else None


def owner_cart_cache_invalidate(owner: CartOwner) -> None:
    """Forget the owner's cached cart on commit (guest carts are never cached)."""
    if isinstance(owner, User):
        cart_cache_invalidate(owner.pk)


def guest_carts_abandoned_delete(*, batch_size: int, now: datetime | None = None) -> int:
    """Delete guest carts untouched for `GUEST_CART_TTL_DAYS` (their orders stay, unlinked)."""
    abandoned = Cart.objects.filter(user__isnull=True, updated_at__lt=_open_since(now))
    return queryset_delete_in_batches(abandoned, batch_size=batch_size)
