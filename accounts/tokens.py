"""JWT access tokens and rotating refresh tokens, on PyJWT.

Wire conventions follow django-graphql-jwt (which cannot be installed beside
Strawberry): `Authorization: JWT <token>`, `tokenAuth`, `refreshToken`,
`verifyToken`, `revokeToken`, and long-running refresh tokens.

Access tokens are HS256 JWTs with `sub`, `typ`, `jti`, `iat`, `exp`, `sid`
(the refresh family) and `ver` (the user's token version, raised to kill every
token at once). Refresh tokens are opaque random strings stored as SHA-256
digests, in families, with reuse detection.

Revocation has one mechanism per case and no per-token denylist:
- one login (logout, revokeToken, a reused refresh token): its family's refresh
  rows are marked revoked, and every access token naming that family (`sid`) is
  refused. Each access token is issued with a refresh row of its family that
  expires after it (`JWT_REFRESH_TTL` >= `JWT_ACCESS_TTL`, checked in settings),
  so the cleanup never deletes the row that refuses a live access token;
- every login of a user (password change or reset, deactivation): the user's
  `token_version` is raised, and tokens carrying the old `ver` are refused.
"""

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import F
from django.db.models.expressions import Col
from django.utils import timezone

from .connections import session_connections_close_on_commit, user_connections_close_on_commit
from .errors import InvalidToken
from .models import RefreshToken, User

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ["sub", "typ", "jti", "sid", "iat", "exp", "ver"]


@dataclass(frozen=True)
class TokenPair:
    token: str
    refresh_token: str
    refresh_expires_at: datetime
    user: User


def access_token_issue(*, user: User, family: uuid.UUID) -> str:
    now = timezone.now()
    claims = {
        "sub": str(user.pk),
        "email": user.email,
        "typ": ACCESS_TYPE,
        "jti": uuid.uuid4().hex,
        "sid": str(family),
        "ver": user.token_version,
        "iat": now,
        "exp": now + settings.JWT_ACCESS_TTL,
    }
    return jwt.encode(claims, settings.JWT_SECRET_KEY, algorithm=ALGORITHM)


def _verified(token: str, **options: Any) -> dict:
    """The claims of a token signed with the current key or, during a rotation, a fallback key."""
    *current, last = [settings.JWT_SECRET_KEY, *settings.JWT_SECRET_KEY_FALLBACKS]
    for key in current:
        try:
            return jwt.decode(token, key, algorithms=[ALGORITHM], **options)
        except jwt.InvalidSignatureError:
            continue
    return jwt.decode(token, last, algorithms=[ALGORITHM], **options)


def access_token_decode(token: str) -> dict:
    """Verified claims of an access token; `InvalidToken` for anything else."""
    try:
        claims = _verified(token, options={"require": REQUIRED_CLAIMS})
    except jwt.PyJWTError as exc:
        raise InvalidToken() from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidToken()
    return claims


def access_token_has_expired(token: str) -> bool:
    """True for an access token signed by us whose `exp` has passed: its holder should refresh."""
    try:
        _verified(token)
    except jwt.ExpiredSignatureError:
        return True
    except jwt.PyJWTError:
        return False
    return False


@functools.cache
def _token_user_sql() -> str:
    """The user of a token with its revocation, as SQL written once: building the
    same query with the ORM on every request was half of the token check's CPU.
    Columns: the user's concrete fields in the model's order, then `login_revoked`.
    Parameters: sid, sub, True, ver."""
    quote = connection.ops.quote_name

    def column(model: type[models.Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        return f"{quote(model._meta.db_table)}.{quote(field.column)}"

    refresh, user = (quote(model._meta.db_table) for model in (RefreshToken, User))
    user_columns = ", ".join(f"{user}.{quote(field.column)}" for field in User._meta.concrete_fields)
    # Only identifiers from the models' metadata are formatted in; every value is a parameter.
    return (
        f"SELECT {user_columns},"  # noqa: S608
        f" EXISTS (SELECT 1 FROM {refresh} WHERE {column(RefreshToken, 'family')} = %s"
        f" AND {column(RefreshToken, 'revoked_at')} IS NOT NULL) AS login_revoked"
        f" FROM {user} WHERE {column(User, 'id')} = %s AND {column(User, 'is_active')} = %s"
        f" AND {column(User, 'token_version')} = %s"
    )


def access_token_check(token: str) -> tuple[dict, str, list]:
    """The claims of an access token, and the statement with its parameters that
    loads the token's user: a row only for an active user whose tokens were not
    revoked since, with `login_revoked` (the token is valid when it is false).
    `InvalidToken` for anything but an access token. The front cache
    (schema/front_cache.py) runs the same check outside Django."""
    claims = access_token_decode(token)
    # The revocation is read in the query that loads the user anyway (an
    # indexed EXISTS, see RefreshToken.Meta), so it costs no extra round trip
    # and, unlike a cached marker, is never lost with the cache.
    params = [
        RefreshToken._meta.get_field("family").get_db_prep_value(claims["sid"], connection),
        int(claims["sub"]),
        True,
        claims["ver"],
    ]
    return claims, _token_user_sql(), params


def access_token_user(token: str) -> User:
    """The active user an access token stands for, in one query.

    Fails for a revoked login (`sid`: reuse detection, revokeToken, logout),
    a deactivated user and a token issued before the user's tokens were
    revoked (password change or reset, deactivation).
    """
    claims, sql, params = access_token_check(token)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None or row[-1]:  # no such active user at this token version, or the login revoked
        raise InvalidToken()
    values = list(row[:-1])
    for position, converters, column in _user_column_converters(connection.alias):
        for converter in converters:
            values[position] = converter(values[position], column, connection)
    user: Any = User.from_db(connection.alias, _USER_ATTNAMES, values)
    user.token_claims = claims
    return user


_USER_ATTNAMES = [field.attname for field in User._meta.concrete_fields]


@functools.cache
def _user_column_converters(alias: str) -> list[tuple[int, list, Col]]:
    """The database's and the fields' converters of `_token_user_sql`'s user columns, as the ORM
    applies them to a row it loads (found once rather than by `raw()` on every check)."""
    db = connections[alias]
    found = []
    for position, field in enumerate(User._meta.concrete_fields):
        column = field.get_col(User._meta.db_table)
        converters = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if converters:
            found.append((position, converters, column))
    return found


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _refresh_token_create(*, user: User, family: uuid.UUID) -> tuple[str, RefreshToken]:
    raw = secrets.token_urlsafe(48)
    row = RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=_digest(raw),
        expires_at=timezone.now() + settings.JWT_REFRESH_TTL,
    )
    return raw, row


def token_pair_issue(*, user: User, family: uuid.UUID | None = None) -> TokenPair:
    """A new access token and a refresh token, starting a family unless one is given."""
    family = family or uuid.uuid4()
    raw, row = _refresh_token_create(user=user, family=family)
    return TokenPair(
        token=access_token_issue(user=user, family=family),
        refresh_token=raw,
        refresh_expires_at=row.expires_at,
        user=user,
    )


def refresh_token_rotate(raw: str) -> TokenPair:
    """Trade a live refresh token for a new pair; a reused one revokes its family."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_digest(raw or ""))
            .first()
        )
        if row is None:
            raise InvalidToken()
        if not (row.rotated_at or row.revoked_at):
            if row.expires_at <= now or not row.user.is_active:
                raise InvalidToken()
            row.rotated_at = now
            row.save(update_fields=["rotated_at"])
            return token_pair_issue(user=row.user, family=row.family)
        # A token that was already traded in is being replayed: treat the whole
        # login as stolen. The revocation commits before the error is raised.
        _family_revoke(row.family, now)
    raise InvalidToken()


def _family_revoke(family: uuid.UUID, now: datetime) -> int:
    """End a login session: its refresh tokens, and on commit its open websocket connections."""
    session_connections_close_on_commit(family)
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=now)


def refresh_token_revoke(raw: str) -> bool:
    """Revoke the family of a refresh token; False when the token is unknown."""
    row = RefreshToken.objects.filter(token_hash=_digest(raw or "")).first()
    if row is None:
        return False
    _family_revoke(row.family, timezone.now())
    return True


def refresh_family_revoke(family: str | uuid.UUID) -> None:
    _family_revoke(uuid.UUID(str(family)), timezone.now())


def user_tokens_revoke_all(user: User) -> None:
    """Kill every refresh token and every access token already issued to the
    user, and close the user's open websocket connections on commit."""
    RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    user_connections_close_on_commit(user.pk)
