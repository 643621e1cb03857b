"""Account rules. Each service validates, owns its transaction and queues its
emails on commit. Answers for unknown emails look exactly like the others."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.orders.guest_orders import guest_orders_attach
from infra.errors import InvalidInput, NotFound, PermissionDenied
from infra.outbox import enqueue

from . import policy, tasks, tokens
from .email_tokens import RESET_PASSWORD, VERIFY_EMAIL, email_token_user
from .errors import InvalidCredentials, InvalidPassword
from .models import User
from .principal import Principal
from .throttle import throttle_hit, throttle_success


@dataclass(frozen=True)
class ClientInfo:
    """Who is calling, as far as throttling needs to know."""

    ip: str


def _normalize_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput("Enter a valid email address.", code="INVALID_EMAIL", field="email") from exc
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def _password_validate(password: str, user: User, *, field: str = "password") -> None:
    # Django's validator errors (codes like password_too_short) reach the
    # client through strawberry-django's ValidationError handling, attached
    # to the argument that carried the password.
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


def user_register(*, email: str, password: str, client: ClientInfo, first_name: str = "", last_name: str = "") -> None:
    """Create an unverified account and mail a verification link; throttled per email and per IP.

    An email that is already registered gets the same answer; its owner gets
    a "someone tried to register" mail instead, and nothing changes.
    """
    email = _normalize_email(email)
    throttle_hit(scope="register", email=email, ip=client.ip)
    candidate = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    _password_validate(password, candidate)
    # Hash before looking the email up, so a registered address does not
    # answer faster than a new one.
    candidate.set_password(password)
    existing = _user_by_email(email)
    if existing:
        enqueue(tasks.send_registration_attempt_email, existing.pk)
        return
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        # Lost a race with a concurrent registration of the same address.
        return
    enqueue(tasks.send_verification_email, candidate.pk)


def user_verification_resend(*, email: str, client: ClientInfo) -> None:
    """Mail the verification link again; throttled like password resets, so it cannot flood an inbox."""
    throttle_hit(scope="resend", email=email or "", ip=client.ip)
    user = _user_by_email(email or "")
    if user and user.is_active and not user.email_verified:
        enqueue(tasks.send_verification_email, user.pk)


def user_email_verify(*, token: str) -> User:
    """Mark the token's account verified; the guest orders placed with that email become its own, atomically."""
    user = email_token_user(purpose=VERIFY_EMAIL, token=token, max_age=settings.EMAIL_VERIFICATION_TTL)
    with transaction.atomic():
        user.email_verified = True
        user.save(update_fields=["email_verified"])
        guest_orders_attach(user=user)
    return user


def token_auth(*, email: str, password: str, client: ClientInfo) -> tokens.TokenPair:
    """Log in with email and password; throttled per email and per IP, before the password is checked."""
    throttle_hit(scope="login", email=email, ip=client.ip)
    user = _user_by_email(email or "")
    if user is None or not user.check_password(password):
        if user is None:
            # Hash anyway so an unknown email takes as long as a wrong password.
            User().set_password(password)
        raise InvalidCredentials()
    if not (user.is_active and user.email_verified):
        raise InvalidCredentials()
    throttle_success(scope="login", email=email, ip=client.ip)
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        return tokens.token_pair_issue(user=user)


def user_logout(*, user: User) -> None:
    """End this login: its refresh family is revoked, which refuses its access tokens too."""
    claims = getattr(user, "token_claims", None)
    if not claims:
        return
    with transaction.atomic():  # the session's sockets close when the revocation commits
        tokens.refresh_family_revoke(claims["sid"])


def password_reset_request(*, email: str, client: ClientInfo) -> None:
    """Mail a reset link if `email` belongs to an active account; throttled per email and per IP.

    The request does the same work for every email (it queues the message and
    the actor looks the account up), so its timing does not tell which exist.
    """
    throttle_hit(scope="reset", email=email or "", ip=client.ip)
    enqueue(tasks.send_password_reset_email, (email or "").strip())


def password_reset(*, token: str, new_password: str) -> None:
    user = email_token_user(purpose=RESET_PASSWORD, token=token, max_age=settings.PASSWORD_RESET_TTL)
    _password_validate(new_password, user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        # Following the link proved the address belongs to the user.
        user.email_verified = True
        user.save(update_fields=["password", "email_verified"])
        guest_orders_attach(user=user)
        tokens.user_tokens_revoke_all(user)


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise InvalidPassword(field="oldPassword")
    _password_validate(new_password, user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        tokens.user_tokens_revoke_all(user)


def profile_update(*, user: User, first_name: str | None, last_name: str | None, phone: str | None) -> User:
    given = {"first_name": first_name, "last_name": last_name, "phone": phone}
    changes = {name: value for name, value in given.items() if value is not None}
    for name, value in changes.items():
        setattr(user, name, value.strip())
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=list(changes))
    return user


def account_deactivate(*, user: User, password: str) -> None:
    """Soft deactivation: the data stays, the login and every token stop working."""
    if not user.check_password(password):
        raise InvalidPassword(field="password")
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        tokens.user_tokens_revoke_all(user)


def user_set_active(*, principal: Principal, user_id: int, active: bool) -> User:
    """Staff switch an account on or off; only superusers may touch staff
    accounts (`policy.may_change_user`); nobody switches themselves off here."""
    if not policy.may_manage_users(principal):
        raise PermissionDenied()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("No such user.")
        if not policy.may_change_user(principal, user):
            raise PermissionDenied("Only a superuser may change a staff account.")
        if principal.user is not None and user.pk == principal.user.pk and not active:
            raise PermissionDenied("You cannot deactivate your own account here.")
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            tokens.user_tokens_revoke_all(user)
    return user
