"""The base of every expected failure that services raise.

The GraphQL layer turns a `DomainError` into an `OperationInfo` message with
its stable `code`; the message is written for a person and leaks no internals.
"""

from enum import Enum

from .error_codes import registered


class ErrorKind(Enum):
    ERROR = "error"
    PERMISSION = "permission"
    VALIDATION = "validation"


class DomainError(Exception):
    code = "ERROR"
    kind = ErrorKind.ERROR
    default_message = "The operation could not be completed."

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registered(cls.code)

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = registered(code)
        self.field = field
        super().__init__(self.message)


class NotFound(DomainError):
    code = "NOT_FOUND"
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"
    kind = ErrorKind.PERMISSION
    default_message = "You do not have permission to do this."


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    kind = ErrorKind.PERMISSION
    default_message = "You must be logged in to do this."


class InvalidInput(DomainError):
    code = "INVALID_INPUT"
    kind = ErrorKind.VALIDATION
    default_message = "The input is not valid."


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    default_message = "Too many attempts. Please wait a moment and try again."
