"""Permission extensions that refuse with the contract's codes.

`UNAUTHENTICATED` when nobody is logged in, `PERMISSION_DENIED` when the
caller lacks the right. Fields returning nullable types or connections
answer null / empty instead, as strawberry-django does.

Partner apps (`Authorization: App <token>`) are not users: user-only
extensions refuse them with `PERMISSION_DENIED`; `StaffOrAppScope(scope)`
and `caller_may(info, scope)` admit staff users and apps holding the scope.
"""

from typing import Any, ClassVar

from strawberry_django import permissions as sd
from strawberry_django.fields.types import OperationInfo

from accounts.models import User
from partners.models import App


class _Refused(sd.DjangoNoPermission):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _app(info: Any) -> App | None:
    return getattr(info.context, "app", None)


def _is_guest(user, info: Any) -> bool:
    """Nobody logged in, no partner app, and an `X-Cart-Token` sent."""
    return _app(info) is None and not user.is_authenticated and bool(getattr(info.context, "cart_token", None))


def _refuse_unless(user, *, info: Any = None, staff: bool = False, superuser: bool = False) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        if info is not None and _app(info) is not None:
            raise _Refused("PERMISSION_DENIED", "Partner apps may not do this.")
        raise _Refused("UNAUTHENTICATED", "You must be logged in to do this.")
    if (staff and not user.is_staff) or (superuser and not user.is_superuser):
        raise _Refused("PERMISSION_DENIED", "You do not have permission to do this.")


class _Coded(sd.DjangoPermissionExtension):
    def handle_no_permission(self, exception: BaseException, *, info: Any):
        result = super().handle_no_permission(exception, info=info)
        if isinstance(result, OperationInfo) and isinstance(exception, _Refused):
            for message in result.messages:
                message.message = exception.message
                message.code = exception.code
                message.field = None
        return result


class IsAuthenticated(_Coded, sd.IsAuthenticated):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(user, info=info)
        return resolver()


class IsStaff(_Coded, sd.IsStaff):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(user, info=info, staff=True)
        return resolver()


class IsSuperuser(_Coded, sd.IsSuperuser):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(user, info=info, superuser=True)
        return resolver()


def caller_may(info: Any, scope: str) -> bool:
    """May the caller act with `scope` (e.g. "orders:read")? Active staff users
    may do everything; a partner app only what its scopes grant."""
    user = info.context.user
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    app = _app(info)
    return app is not None and app.has_scope(str(scope))


def caller_actor(info: Any) -> User | App | None:
    """Who to record as the actor of a change: the partner app, else the user."""
    app = _app(info)
    if app is not None:
        return app
    user = info.context.user
    return user if user is not None and user.is_authenticated else None


class StaffOrAppScope(_Coded, sd.DjangoPermissionExtension):
    """Staff users, and partner apps holding `scope`, may resolve the field.

    Apps without the scope get `PERMISSION_DENIED`; other logged-in users
    `PERMISSION_DENIED`; anonymous callers `UNAUTHENTICATED`.
    """

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "You do not have permission to do this."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by staff users and by partner apps holding the scope the field names."
    )

    def __init__(self, scope: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.scope = str(scope)

    def resolve_for_user(self, resolver, user, *, info, source):
        if caller_may(info, self.scope):
            return resolver()
        if _app(info) is not None:
            raise _Refused("PERMISSION_DENIED", f"This app lacks the {self.scope} scope.")
        _refuse_unless(user, info=info, staff=True)
        raise _Refused("PERMISSION_DENIED", "You do not have permission to do this.")


class IsAuthenticatedOrAppScope(_Coded, sd.DjangoPermissionExtension):
    """Logged-in users and guests sending `X-Cart-Token` (who then see what
    selectors scope to them), and partner apps holding `scope`, may resolve the field."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "You must be logged in to do this."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by logged-in users, guests sending X-Cart-Token and by partner apps holding the "
        "scope the field names."
    )

    def __init__(self, scope: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.scope = str(scope)

    def resolve_for_user(self, resolver, user, *, info, source):
        app = _app(info)
        if app is not None:
            if not app.has_scope(self.scope):
                raise _Refused("PERMISSION_DENIED", f"This app lacks the {self.scope} scope.")
            return resolver()
        if not _is_guest(user, info):
            _refuse_unless(user, info=info)
        return resolver()


class IsCustomerOrGuest(IsAuthenticated):
    """`IsAuthenticated`, or a guest sending `X-Cart-Token` (whether the token
    opens a cart is `Context.cart_owner`'s to say): the cart's operations."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "Log in, or send the X-Cart-Token of your guest cart."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by logged-in users and by guests sending the X-Cart-Token header."
    )

    def resolve_for_user(self, resolver, user, *, info, source):
        if not _is_guest(user, info):
            _refuse_unless(user, info=info)
        return resolver()
