"""Signed, purpose-bound, expiring, single-use tokens for links in emails.

A token carries the user id and a digest of the state the link is meant to
change (whether the email is verified; the password hash). Once that state
changes, the token no longer matches: it works once.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing

from .errors import InvalidToken
from .models import User

VERIFY_EMAIL = "accounts.verify-email"
RESET_PASSWORD = "accounts.reset-password"


def _state(purpose: str, user: User) -> str:
    if purpose == VERIFY_EMAIL:
        state = f"{user.email.lower()}|{user.email_verified}"
    else:
        state = f"{user.password}|{user.is_active}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def email_token_make(*, purpose: str, user: User) -> str:
    return signing.dumps({"u": user.pk, "s": _state(purpose, user)}, salt=purpose, compress=True)


def email_token_user(*, purpose: str, token: str, max_age: timedelta) -> User:
    """The user a still-valid token was made for; `InvalidToken` otherwise."""
    try:
        data = signing.loads(token, salt=purpose, max_age=max_age)
        user = User.objects.get(pk=data["u"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError) as exc:
        raise InvalidToken() from exc
    if data.get("s") != _state(purpose, user):
        raise InvalidToken()
    return user


def verification_link(user: User) -> str:
    return f"{settings.FRONTEND_URL}/verify-email?token={email_token_make(purpose=VERIFY_EMAIL, user=user)}"


def password_reset_link(user: User) -> str:
    return f"{settings.FRONTEND_URL}/reset-password?token={email_token_make(purpose=RESET_PASSWORD, user=user)}"
