"""The account emails. Each function builds one message and sends it now;
services enqueue them through `accounts.tasks` so they leave after commit."""

from django.conf import settings
from django.core.mail import send_mail

from .email_tokens import password_reset_link, verification_link
from .models import User


def _send(user: User, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def verification_email_send(user: User) -> None:
    hours = int(settings.EMAIL_VERIFICATION_TTL.total_seconds() // 3600)
    _send(
        user,
        "Confirm your email address",
        f"Welcome to fm-core!\n\nConfirm your email address to activate your account:\n"
        f"{verification_link(user)}\n\nThe link works once and expires in {hours} hours.",
    )


def registration_attempt_email_send(user: User) -> None:
    _send(
        user,
        "Someone tried to register with your address",
        "Someone tried to create an fm-core account with this email address, which already "
        "has an account. If it was you, log in or reset your password:\n"
        f"{settings.FRONTEND_URL}/login\n\nIf it was not you, you can ignore this message.",
    )


def password_reset_email_send(user: User) -> None:
    minutes = int(settings.PASSWORD_RESET_TTL.total_seconds() // 60)
    _send(
        user,
        "Reset your password",
        f"To choose a new password, open this link:\n{password_reset_link(user)}\n\n"
        f"The link works once and expires in {minutes} minutes. "
        "If you did not ask for it, you can ignore this message.",
    )
