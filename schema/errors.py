"""How expected failures reach clients: as `OperationInfo` data with a stable code.

Every mutation is declared with `mutation(...)` from here and returns its
`<Name>Result`, the union `<Name>Payload | OperationInfo` declared beside the
payload in the domain's `types.py`.
"""

import enum
import inspect
from typing import Any, cast

import strawberry
import strawberry_django
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions import FieldExtension
from strawberry.types.base import get_object_definition
from strawberry_django.fields.types import OperationInfo, OperationMessage

from infra.error_codes import ERROR_CODES
from infra.errors import DomainError, ErrorKind

# mypy types the functional `Enum(name, members)` call as a member, not the class it makes.
ErrorCode = strawberry.enum(
    cast(
        type[enum.Enum],
        enum.Enum(
            "ErrorCode",
            {
                code: strawberry.enum_value(code, description=f"{info.meaning} {info.client_action}")
                for code, info in ERROR_CODES.items()
            },
        ),
    ),
    description="Every machine code the API returns (docs/errors.md).",
)


def _code_field_typed_error_code() -> None:
    """strawberry-django declares `OperationMessage.code` a String; the contract
    types it `ErrorCode`. The strings stay the same on the wire, and a code
    missing from the registry fails loudly instead of reaching a client."""
    [code_field] = [f for f in get_object_definition(OperationMessage, strict=True).fields if f.python_name == "code"]
    code_field.type_annotation = StrawberryAnnotation(ErrorCode | None)


_code_field_typed_error_code()

_KIND = {
    ErrorKind.ERROR: OperationMessage.Kind.ERROR,
    ErrorKind.PERMISSION: OperationMessage.Kind.PERMISSION,
    ErrorKind.VALIDATION: OperationMessage.Kind.VALIDATION,
}
_DEFAULT_CODE = {
    OperationMessage.Kind.PERMISSION: "PERMISSION_DENIED",
    OperationMessage.Kind.VALIDATION: "INVALID_INPUT",
    OperationMessage.Kind.ERROR: "ERROR",
}


def operation_info(error: DomainError) -> OperationInfo:
    return OperationInfo(
        messages=[OperationMessage(kind=_KIND[error.kind], message=error.message, field=error.field, code=error.code)]
    )


def _normalized(result: Any) -> Any:
    """Give every message an UPPER_SNAKE code (Django validators use lower case)."""
    if isinstance(result, OperationInfo):
        for message in result.messages:
            message.code = (message.code or _DEFAULT_CODE[message.kind]).upper()
    return result


class DomainErrorExtension(FieldExtension):
    """Turn a `DomainError` raised by a service into `OperationInfo`."""

    def resolve(self, next_, source, info, **kwargs):
        try:
            result = next_(source, info, **kwargs)
        except DomainError as error:
            return operation_info(error)
        if inspect.isawaitable(result):
            # strawberry-django runs a sync resolver in a thread when the
            # operation executes async (websockets): the error comes on await.
            return self._awaited(result)
        return _normalized(result)

    async def _awaited(self, result):
        try:
            return _normalized(await result)
        except DomainError as error:
            return operation_info(error)

    async def resolve_async(self, next_, source, info, **kwargs):
        try:
            result = next_(source, info, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return _normalized(result)
        except DomainError as error:
            return operation_info(error)


def mutation(*, description: str, permissions: tuple = (), **kwargs: Any) -> Any:
    """A strawberry-django mutation whose expected failures come back as data.

    Permission extensions run first; domain errors of the resolver and of
    Django validation are mapped to `OperationInfo` with stable codes.
    """
    return strawberry_django.mutation(
        description=description,
        handle_django_errors=True,
        extensions=[*permissions, DomainErrorExtension()],
        **kwargs,
    )
