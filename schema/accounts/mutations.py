from typing import Literal, TypedDict

import strawberry
from django.conf import settings
from django.middleware.csrf import get_token
from strawberry import relay
from strawberry.scalars import JSON

from accounts import policy as accounts_policy
from accounts import services, social, tokens
from accounts.authentication import ACCESS_COOKIE, REFRESH_COOKIE, client_ip
from accounts.errors import InvalidToken
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed, IsAuthenticated

from .inputs import ProfileInput, RegisterInput
from .types import (
    OkPayload,
    OkResult,
    RegisterPayload,
    RegisterResult,
    RevokePayload,
    RevokeResult,
    TokenPayload,
    TokenResult,
    UserPayload,
    UserResult,
    VerifyEmailPayload,
    VerifyEmailResult,
    VerifyPayload,
    VerifyResult,
    token_payload,
    unix_now,
)

COOKIE_HELP = "Also set HttpOnly `JWT` / `JWT-refresh-token` cookies (SPA cookie mode; send `X-CSRFToken`)."


class _CookieOptions(TypedDict):
    httponly: bool
    secure: bool
    samesite: Literal["Lax", "Strict", "None"]


def _client(info: Info) -> services.ClientInfo:
    return services.ClientInfo(ip=client_ip(info.context.request))


def _issued(info: Info, pair: tokens.TokenPair, *, cookie: bool) -> TokenPayload:
    response = info.context.response
    # Websocket operations have no HTTP response to carry cookies.
    if cookie and response is not None:
        common: _CookieOptions = {"httponly": True, "secure": settings.JWT_COOKIE_SECURE, "samesite": "Lax"}
        response.set_cookie(ACCESS_COOKIE, pair.token, max_age=int(settings.JWT_ACCESS_TTL.total_seconds()), **common)
        response.set_cookie(
            REFRESH_COOKIE, pair.refresh_token, max_age=int(settings.JWT_REFRESH_TTL.total_seconds()), **common
        )
        # Hand the SPA the CSRF cookie it must echo in X-CSRFToken.
        get_token(info.context.request)
    return token_payload(pair, tokens.access_token_decode(pair.token))


@strawberry.type
class AccountMutations:
    @mutation(description="Create an account (rate limited); the same answer whether or not the email is registered.")
    def register(self, info: Info, input: RegisterInput) -> RegisterResult:
        services.user_register(
            email=input.email,
            password=input.password,
            client=_client(info),
            first_name=input.first_name,
            last_name=input.last_name,
        )
        return RegisterPayload()

    @mutation(description="Confirm an email address with the token from the verification email.")
    def verify_email(self, token: str) -> VerifyEmailResult:
        return VerifyEmailPayload(user=services.user_email_verify(token=token))

    @mutation(description="Send the verification email again; the same answer for unknown emails.")
    def resend_verification_email(self, info: Info, email: str) -> OkResult:
        services.user_verification_resend(email=email, client=_client(info))
        return OkPayload()

    @mutation(description="Log in with email and password (rate limited).")
    def token_auth(self, info: Info, email: str, password: str, cookie: bool = False) -> TokenResult:
        pair = services.token_auth(email=email, password=password, client=_client(info))
        return _issued(info, pair, cookie=cookie)

    @mutation(
        description="Trade a refresh token (argument or cookie) for a new pair; the old one dies. "
        "Reusing a dead refresh token revokes every token of its login."
    )
    def refresh_token(self, info: Info, refresh_token: str | None = None) -> TokenResult:
        from_cookie = refresh_token is None
        cookies = getattr(info.context.request, "COOKIES", {})  # none over websockets
        raw = cookies.get(REFRESH_COOKIE) if from_cookie else refresh_token
        if not raw:
            raise InvalidToken()
        return _issued(info, tokens.refresh_token_rotate(raw), cookie=from_cookie)

    @mutation(description="Check an access token and return its claims.")
    def verify_token(self, token: str) -> VerifyResult:
        return VerifyPayload(payload=JSON(tokens.access_token_user(token).token_claims))

    @mutation(description="Revoke a refresh token and every token of its login.")
    def revoke_token(self, refresh_token: str) -> RevokeResult:
        if not tokens.refresh_token_revoke(refresh_token):
            raise InvalidToken()
        return RevokePayload(revoked=unix_now())

    @mutation(
        description="Log out: revoke this session's refresh tokens and the access token in use.",
        permissions=(IsAuthenticated(),),
    )
    def logout(self, info: Info) -> OkResult:
        services.user_logout(user=info.context.signed_in_user)
        response = info.context.response
        if response is not None:  # None over websockets
            response.delete_cookie(ACCESS_COOKIE)
            response.delete_cookie(REFRESH_COOKIE)
        return OkPayload()

    @mutation(description="Log in with a provider's access token (`google-oauth2`; rate limited).")
    def social_auth(self, info: Info, provider: str, access_token: str, cookie: bool = False) -> TokenResult:
        pair = social.social_login(
            provider=provider, access_token=access_token, request=info.context.request, client=_client(info)
        )
        return _issued(info, pair, cookie=cookie)

    @mutation(description="Email a password reset link; the same answer for unknown emails.")
    def request_password_reset(self, info: Info, email: str) -> OkResult:
        services.password_reset_request(email=email, client=_client(info))
        return OkPayload()

    @mutation(description="Choose a new password with the emailed token; logs out everywhere.")
    def reset_password(self, token: str, new_password: str) -> OkResult:
        services.password_reset(token=token, new_password=new_password)
        return OkPayload()

    @mutation(description="Change the password; logs out everywhere.", permissions=(IsAuthenticated(),))
    def change_password(self, info: Info, old_password: str, new_password: str) -> OkResult:
        services.password_change(user=info.context.signed_in_user, old_password=old_password, new_password=new_password)
        return OkPayload()

    @mutation(description="Change your name or phone.", permissions=(IsAuthenticated(),))
    def update_profile(self, info: Info, input: ProfileInput) -> UserResult:
        user = services.profile_update(
            user=info.context.signed_in_user, first_name=input.first_name, last_name=input.last_name, phone=input.phone
        )
        return UserPayload(user=user)

    @mutation(
        description="Deactivate your account: your data is kept, every token stops working.",
        permissions=(IsAuthenticated(),),
    )
    def deactivate_account(self, info: Info, password: str) -> OkResult:
        services.account_deactivate(user=info.context.signed_in_user, password=password)
        return OkPayload()

    @mutation(
        description="Switch an account on or off (staff; staff accounts: superusers).",
        permissions=(Allowed(accounts_policy.may_manage_users),),
    )
    def set_user_active(self, info: Info, user_id: relay.GlobalID, active: bool) -> UserResult:
        user = services.user_set_active(
            principal=info.context.principal, user_id=node_pk(user_id, "User"), active=active
        )
        return UserPayload(user=user)
