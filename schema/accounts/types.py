from datetime import datetime
from typing import Annotated

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto, relay
from strawberry.scalars import JSON
from strawberry_django.fields.types import OperationInfo

from accounts.models import User
from accounts.tokens import TokenPair


@strawberry_django.filter_type(User)
class UserFilter:
    is_active: auto
    is_staff: auto

    @strawberry_django.filter_field(description="Part of the email address, any case.")
    def email(self, value: str, prefix: str) -> Q:
        return Q(**{f"{prefix}email__icontains": value})


@strawberry_django.order_type(User)
class UserOrder:
    email: auto
    date_joined: auto


@strawberry_django.type(User, name="User", filters=UserFilter, ordering=UserOrder)
class UserType(relay.Node):
    """A customer or staff account."""

    email: auto
    first_name: auto
    last_name: auto
    phone: auto
    is_active: auto
    is_staff: auto
    email_verified: auto
    date_joined: auto


@strawberry.type(description="The answer of operations that only say they went through.")
class OkPayload:
    ok: bool = True


OkResult = Annotated[OkPayload | OperationInfo, strawberry.union("OkResult")]


@strawberry.type(description="Registration accepted; a verification email is on its way.")
class RegisterPayload:
    ok: bool = True


RegisterResult = Annotated[RegisterPayload | OperationInfo, strawberry.union("RegisterResult")]


@strawberry.type
class VerifyEmailPayload:
    user: User = strawberry.field(graphql_type=UserType)


VerifyEmailResult = Annotated[VerifyEmailPayload | OperationInfo, strawberry.union("VerifyEmailResult")]


@strawberry.type
class UserPayload:
    user: User = strawberry.field(graphql_type=UserType)


UserResult = Annotated[UserPayload | OperationInfo, strawberry.union("UserResult")]


@strawberry.type(description="An access token and a rotating refresh token.")
class TokenPayload:
    token: str = strawberry.field(description="Access token: send it as `Authorization: JWT <token>`.")
    refresh_token: str = strawberry.field(description="Trade it with `refreshToken` for a new pair; works once.")
    refresh_expires_in: int = strawberry.field(description="When the refresh token expires (Unix time).")
    payload: JSON = strawberry.field(description="The access token's claims.")
    user: User = strawberry.field(graphql_type=UserType)


TokenResult = Annotated[TokenPayload | OperationInfo, strawberry.union("TokenResult")]


@strawberry.type
class VerifyPayload:
    payload: JSON


VerifyResult = Annotated[VerifyPayload | OperationInfo, strawberry.union("VerifyResult")]


@strawberry.type
class RevokePayload:
    revoked: int = strawberry.field(description="Unix time of the revocation.")


RevokeResult = Annotated[RevokePayload | OperationInfo, strawberry.union("RevokeResult")]


def token_payload(pair: TokenPair, claims: dict) -> TokenPayload:
    return TokenPayload(
        token=pair.token,
        refresh_token=pair.refresh_token,
        refresh_expires_in=int(pair.refresh_expires_at.timestamp()),
        payload=JSON(claims),
        user=pair.user,
    )


def unix_now() -> int:
    return int(datetime.now().timestamp())
