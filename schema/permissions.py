"""Permission extensions that refuse with the contract's codes.

`UNAUTHENTICATED` when nobody is logged in, `PERMISSION_DENIED` when the
caller lacks the right. Fields returning nullable types or connections
answer null / empty instead, as strawberry-django does.

Each extension asks the caller's `Principal` (`info.context.principal`).
`IsAuthenticated` and `IsCustomerOrGuest` say who is calling; every other
guard is `Allowed(rule)`, where `rule` is a policy function
(`<domain>/policy.py`: `may_...(principal) -> bool`) the services ask too, so
a mutation names the rule that guards it and the SDL shows it
(`@allowed(rule: "may_manage_orders")`). Partner apps (`Authorization: App
<token>`) are not users: user-only extensions refuse them with
`PERMISSION_DENIED`.
"""

import functools
from collections.abc import Callable
from typing import Any, ClassVar

import strawberry
from strawberry_django import permissions as sd
from strawberry_django.fields.types import OperationInfo

from accounts.principal import Principal
from partners.models import App, AppScope


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


def _refuse_unless(info: Any) -> None:
    """Refuse anyone but a logged-in user."""
    principal = _principal(info)
    if principal.user is None:
        if principal.app is not None:
            raise _Refused("PERMISSION_DENIED", "Partner apps may not do this.")
        raise _Refused("UNAUTHENTICATED", "You must be logged in to do this.")


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


class Allowed(_Coded, sd.DjangoPermissionExtension):
    """Callers `rule` admits may resolve the field. Anyone else is refused:
    `UNAUTHENTICATED` when nobody is logged in and no app calls,
    `PERMISSION_DENIED` otherwise."""

    DEFAULT_ERROR_MESSAGE: ClassVar[str] = "You do not have permission to do this."
    SCHEMA_DIRECTIVE_DESCRIPTION: ClassVar[str | None] = (
        "Can only be resolved by the callers the named policy rule admits; the field's description says who."
    )

    def __init__(self, rule: Callable[[Principal], bool], **kwargs: Any):
        super().__init__(**kwargs)
        self.rule = rule

    @functools.cached_property
    def schema_directive(self) -> object:
        return _AllowedDirective(rule=self.rule.__name__)

    @functools.cached_property
    def _admitting_scopes(self) -> list[str]:
        """The scopes that would admit an app, asked of the rule itself so
        that a refusal names them without restating the rule."""
        return [scope for scope in AppScope.values if self.rule(Principal.for_app(App(scopes=[scope])))]

    def resolve_for_user(self, resolver, user, *, info, source):
        principal = _principal(info)
        if self.rule(principal):
            return resolver()
        if principal.app is not None:
            if not self._admitting_scopes:
                raise _Refused("PERMISSION_DENIED", "Partner apps may not do this.")
            raise _Refused("PERMISSION_DENIED", f"This app lacks the {' or '.join(self._admitting_scopes)} scope.")
        _refuse_unless(info)
        raise _Refused("PERMISSION_DENIED", "You do not have permission to do this.")


@strawberry.schema_directive(
    name="allowed",
    locations=Allowed.SCHEMA_DIRECTIVE_LOCATIONS,
    description=Allowed.SCHEMA_DIRECTIVE_DESCRIPTION,
    repeatable=True,
)
class _AllowedDirective:
    rule: str = strawberry.field(description="The policy function that admits callers, e.g. `may_manage_orders`.")


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
