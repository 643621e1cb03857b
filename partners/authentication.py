"""Partner apps authenticate with `Authorization: App <token>`, over HTTP and
in the websocket `connection_init` payload."""

from .models import App
from .tokens import APP_TOKEN_PREFIX, app_token_digest

SCHEME = "app"


def app_token_from_authorization(value: str | None) -> str | None:
    """The token of `App <token>`; None for any other scheme."""
    scheme, _, token = (value or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() == SCHEME and token:
        return token
    return None


def app_for_token(token: str | None) -> App | None:
    """The active app holding `token` (its current one), else None."""
    if not token or not token.startswith(APP_TOKEN_PREFIX):
        return None
    return App.objects.filter(token_hash=app_token_digest(token), is_active=True).first()


def app_for_authorization(value: str | None) -> App | None:
    return app_for_token(app_token_from_authorization(value))


def uses_app_auth(value: str | None) -> bool:
    """True when the header names the App scheme (valid token or not)."""
    return (value or "").strip().partition(" ")[0].lower() == SCHEME
