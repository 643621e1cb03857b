"""Google login through social-auth-app-django, and its pipeline step."""

from django.db import transaction
from django.http import HttpRequest
from requests import RequestException
from social_core.exceptions import AuthException, SocialAuthBaseException
from social_django.utils import load_backend, load_strategy

from commerce.orders.guest_orders import guest_orders_attach
from infra.errors import InvalidInput

from . import tokens
from .errors import EmailNotVerifiedByProvider, InvalidCredentials, SocialAuthFailed
from .models import User
from .services import ClientInfo
from .throttle import throttle_hit

PROVIDERS = {"google-oauth2"}


def link_or_create_user(strategy, details, backend, user=None, *args, **kwargs):
    """Pipeline step: reuse the account of the provider-verified email, or create one."""
    if user is not None:
        return {"is_new": False}
    email = (details.get("email") or "").strip()
    if not email:
        raise AuthException(backend, "The provider did not share an email address.")
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        new_user = User(
            email=email,
            # Providers may send the names as None (key present, value missing).
            first_name=(details.get("first_name") or "").strip(),
            last_name=(details.get("last_name") or "").strip(),
            email_verified=True,
        )
        new_user.set_unusable_password()
        with transaction.atomic():
            new_user.save()
            guest_orders_attach(user=new_user)
        return {"user": new_user, "is_new": True}
    if not existing.email_verified:
        # Whoever registered this address unverified may not be its owner: the
        # provider just proved who is, so the unproven password must go.
        existing.set_unusable_password()
        existing.email_verified = True
        with transaction.atomic():
            existing.save(update_fields=["password", "email_verified"])
            guest_orders_attach(user=existing)
    return {"user": existing, "is_new": False}


def social_login(*, provider: str, access_token: str, request, client: ClientInfo) -> tokens.TokenPair:
    """Log in with a provider's access token; creates or links the account by verified email.

    Throttled per client IP before the provider is asked (the email is not known until it answers).
    """
    if provider not in PROVIDERS:
        raise InvalidInput("Unsupported provider.", code="UNSUPPORTED_PROVIDER", field="provider")
    throttle_hit(scope="social", ip=client.ip)
    # Over websockets there is no Django request (and no session): the
    # strategy then keeps a throwaway session of its own.
    strategy = load_strategy(request if isinstance(request, HttpRequest) else None)
    backend = load_backend(strategy, provider, redirect_uri=None)
    try:
        with transaction.atomic():
            user = backend.do_auth(access_token)
    except AuthException as exc:
        if getattr(exc, "claim", None) == "email_verified":
            raise EmailNotVerifiedByProvider() from exc
        raise SocialAuthFailed() from exc
    except (SocialAuthBaseException, RequestException, ValueError, KeyError) as exc:
        raise SocialAuthFailed() from exc
    if user is None:
        raise SocialAuthFailed()
    if not user.is_active:
        raise InvalidCredentials()
    return tokens.token_pair_issue(user=user)
