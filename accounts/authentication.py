"""Who is calling: the user behind an `Authorization` header, JWT cookies or
a websocket `connection_init` payload."""

from django.contrib.auth.models import AnonymousUser

from .errors import InvalidToken, TokenExpired
from .models import User
from .tokens import access_token_has_expired, access_token_user

ACCESS_COOKIE = "JWT"
REFRESH_COOKIE = "JWT-refresh-token"
SCHEMES = ("jwt", "bearer")


def token_from_authorization(value: str | None) -> str | None:
    """The token of `JWT <token>` or `Bearer <token>`; None for anything else."""
    scheme, _, token = (value or "").strip().partition(" ")
    if scheme.lower() in SCHEMES and token.strip():
        return token.strip()
    return None


def user_for_token(token: str | None) -> User | AnonymousUser:
    if not token:
        return AnonymousUser()
    try:
        return access_token_user(token)
    except InvalidToken:
        return AnonymousUser()


def uses_cookie_auth(request) -> bool:
    """True when the credentials are ambient cookies, which need CSRF protection."""
    if request.headers.get("Authorization"):
        return False
    return ACCESS_COOKIE in request.COOKIES or REFRESH_COOKIE in request.COOKIES


def request_authentication(request) -> tuple[User | AnonymousUser, InvalidToken | None]:
    """The user behind the request's `Authorization` header or access cookie,
    and, when credentials were sent but do not authenticate, why not
    (`TokenExpired`: refresh; `InvalidToken`: log in again).
    """
    authorization = (request.headers.get("Authorization") or "").strip()
    scheme, _, token = authorization.partition(" ")
    if not authorization:
        token = request.COOKIES.get(ACCESS_COOKIE, "")
    elif scheme.lower() not in SCHEMES:
        return AnonymousUser(), None  # another scheme (a proxy's Basic auth, ...) is not ours to judge
    token = token.strip()
    if not token:
        return AnonymousUser(), (InvalidToken() if authorization else None)
    try:
        return access_token_user(token), None
    except InvalidToken:
        return AnonymousUser(), TokenExpired() if access_token_has_expired(token) else InvalidToken()


def request_user(request) -> User | AnonymousUser:
    return request_authentication(request)[0]


def client_ip(request) -> str:
    """The caller's address: REMOTE_ADDR over HTTP, the ASGI scope's client over websockets.

    Behind a proxy both come from X-Forwarded-For, set by uvicorn only when the
    peer is in FORWARDED_ALLOW_IPS (docs/operations.md, "Trusted proxies").
    """
    meta = getattr(request, "META", None)
    if meta is not None:
        return meta.get("REMOTE_ADDR") or "unknown"
    client = (getattr(request, "scope", None) or {}).get("client")
    return client[0] if client else "unknown"
