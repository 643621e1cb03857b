"""Dramatiq actors of the accounts app: ids in, load fresh rows, one call."""

from typing import Any

import dramatiq
from django.conf import settings

from . import mail
from .models import User

_RETRIES: dict[str, Any] = {"max_retries": settings.DRAMATIQ_MAX_RETRIES}


@dramatiq.actor(**_RETRIES)
def send_verification_email(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, email_verified=False).first()
    if user:
        mail.verification_email_send(user)


@dramatiq.actor(**_RETRIES)
def send_registration_attempt_email(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user:
        mail.registration_attempt_email_send(user)


@dramatiq.actor(**_RETRIES)
def send_password_reset_email(email: str) -> None:
    """Takes the email, not an id: the request must not look the account up (timing)."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user:
        mail.password_reset_email_send(user)
