from collections.abc import Iterable

import strawberry
import strawberry_django

from accounts import policy as accounts_policy
from accounts.models import User
from schema.connection import Connection
from schema.context import Info
from schema.permissions import Allowed

from .types import UserType


@strawberry.type
class AccountQueries:
    @strawberry_django.field(
        graphql_type=UserType | None, description="The logged-in user; null for anonymous callers."
    )
    def me(self, info: Info) -> User | None:
        user = info.context.user
        return user if user.is_authenticated else None

    @strawberry_django.connection(
        Connection[UserType],
        description="Every account (staff only), with filters `email`, `isActive`, `isStaff`.",
        extensions=[Allowed(accounts_policy.may_manage_users)],
    )
    def users(self) -> Iterable[User]:
        return User.objects.order_by("id")
