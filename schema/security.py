"""Protections of the schema against hostile documents, and error masking.

Limits refuse a document before any resolver runs. Every error a client sees
carries `extensions.code`; unexpected exceptions are masked as
"Unexpected error." with a request id, and their details go to the log.
"""

import logging
import uuid

from django.conf import settings
from graphql import GraphQLError, OperationType, ValidationRule
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from fmcore.errors import DomainError

logger = logging.getLogger("fmcore.graphql")

# The limit extensions raise plain GraphQL errors; these fragments of their
# messages give each refusal a stable code (tests pin every one).
_LIMIT_CODES = (
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found", "TOO_MANY_ALIASES"),
    ("more than", "TOO_MANY_TOKENS"),
    ("mutations in one document", "TOO_MANY_MUTATIONS"),
    ("introspection", "INTROSPECTION_DISABLED"),
)


class MutationCountLimit(ValidationRule):
    """Refuse documents that run more than `GRAPHQL_MAX_MUTATIONS` mutation fields."""

    def enter_operation_definition(self, node, *_args):
        if node.operation != OperationType.MUTATION:
            return
        count = len(node.selection_set.selections)
        if count > settings.GRAPHQL_MAX_MUTATIONS:
            self.report_error(
                GraphQLError(
                    f"At most {settings.GRAPHQL_MAX_MUTATIONS} mutations in one document are allowed.",
                    node,
                    extensions={"code": "TOO_MANY_MUTATIONS"},
                )
            )


def _code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if isinstance(error, GraphQLSyntaxError) and "tokens" in error.message:
        return "TOO_MANY_TOKENS"
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    for fragment, code in _LIMIT_CODES:
        if fragment in error.message.lower():
            return code
    return "GRAPHQL_VALIDATION_FAILED"


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (DomainError, GraphQLError))


class ErrorCodesAndMasking(MaskErrors):
    """Mask unexpected exceptions; give every error an `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)
        self.request_id = uuid.uuid4().hex

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        logger.error(
            "unexpected error in %s (request %s)",
            ".".join(str(part) for part in error.path or []) or "operation",
            self.request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_ERROR", "requestId": self.request_id}
        return masked

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": _code_of(error)}
        return processed


def security_extensions() -> list:
    """The schema extensions that bound what one document may ask for."""
    return [
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        lambda: AddValidationRules([MutationCountLimit]),
        ErrorCodesAndMasking,
        lambda: SchemaExtension() if settings.GRAPHQL_INTROSPECTION else DisableIntrospection(),
    ]
