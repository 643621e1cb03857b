"""Permission extensions that refuse with the contract's codes.

`UNAUTHENTICATED` when nobody is logged in, `PERMISSION_DENIED` when the
caller lacks the right. Fields returning nullable types or connections
answer null / empty instead, as strawberry-django does.
"""

from typing import Any

from strawberry_django import permissions as sd
from strawberry_django.fields.types import OperationInfo


class _Refused(sd.DjangoNoPermission):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _refuse_unless(user, *, staff: bool = False, superuser: bool = False) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise _Refused("UNAUTHENTICATED", "You must be logged in to do this.")
    if (staff and not user.is_staff) or (superuser and not user.is_superuser):
        raise _Refused("PERMISSION_DENIED", "You do not have permission to do this.")


class _Coded:
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
        _refuse_unless(user)
        return resolver()


class IsStaff(_Coded, sd.IsStaff):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(user, staff=True)
        return resolver()


class IsSuperuser(_Coded, sd.IsSuperuser):
    def resolve_for_user(self, resolver, user, *, info, source):
        _refuse_unless(user, superuser=True)
        return resolver()
