"""Permission extensions that refuse with the contract's codes.

`UNAUTHENTICATED` when nobody is logged in, `PERMISSION_DENIED` when the
caller lacks the right. Fields returning nullable types or connections
answer null / empty instead, as strawberry-django does.

Each extension asks the caller's `Principal` (`info.context.principal`).
Partner apps (`Authorization: App <token>`) are not users: user-only
extensions refuse them with `PERMISSION_DENIED`; `StaffOrAppScope(scope)`
admits staff users and apps holding the scope (`Principal.may`).
"""

from typing import Any, ClassVar

from strawberry_django import permissions as sd
from strawberry_django.fields.types import OperationInfo

from accounts.principal import Principal


class _Refused(sd.DjangoNoPermission):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _principal(info: Any) -> Principal:
    return info.context.principal


def _is_guest(info: Any) -> bool:
    """Nobody logged in, no partner app, and an `X-Cart-Token` sent."""
    principal = _principal(info)
    return principal.app is None and principal.user is None and bool(getattr(info.context, "cart_token", None))


def _refuse_unless(info: Any, *, staff: bool = False, superuser: bool = False) -> None:
    principal = _principal(info)
    if principal.user is None:
        if principal.app is not None:
            raise _Refused("PERMISSION_DENIED", "Partner apps may not do this.")
        raise _Refused("UNAUTHENTICATED", "You must be logged in to do this.")
    if (staff and not principal.is_staff) or (superuser and not principal.user.is_superuser):
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
        _refuse_unless(info)
        return resolver()


class IsStaff(_Coded, sd.IsStaff):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(info, staff=True)
        return resolver()


class IsSuperuser(_Coded, sd.IsSuperuser):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(info, superuser=True)
        return resolver()


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
        if _principal(info).may(self.scope):
            return resolver()
        if _principal(info).app is not None:
            raise _Refused("PERMISSION_DENIED", f"This app lacks the {self.scope} scope.")
        _refuse_unless(info, staff=True)
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
        principal = _principal(info)
        if principal.app is not None:
            if not principal.has_scope(self.scope):
                raise _Refused("PERMISSION_DENIED", f"This app lacks the {self.scope} scope.")
            return resolver()
        if not _is_guest(info):
            _refuse_unless(info)
        return resolver()


class IsCustomerOrGuest(IsAuthenticated):
    """`IsAuthenticated`, or a guest sending `X-Cart-Token` (whether the token
    opens a cart is `Context.cart_owner`'s to say): the cart's operations."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "Log in, or send the X-Cart-Token of your guest cart."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by logged-in users and by guests sending the X-Cart-Token header."
    )

    def resolve_for_user(self, resolver, user, *, info, source):
        if not _is_guest(info):
            _refuse_unless(info)
        return resolver()
