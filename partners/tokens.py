"""App tokens and webhook secrets: random, shown once; app tokens stored as SHA-256 digests."""

import hashlib
import secrets

APP_TOKEN_PREFIX = "fmapp_"
WEBHOOK_SECRET_PREFIX = "whsec_"
DISPLAY_PREFIX_LENGTH = 10


def app_token_generate() -> tuple[str, str]:
    """A new app token and the digest to store."""
    token = APP_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, app_token_digest(token)


def app_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def webhook_secret_generate() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)
