"""Protections of the schema against hostile documents, and error masking.

Limits refuse a document before any resolver runs. Every error a client sees
carries `extensions.code`; unexpected exceptions are masked as
"Unexpected error." with the request's id (X-Request-ID), and their details
go to the log; an unavailable database is SERVICE_UNAVAILABLE, HTTP 503.
"""

import contextlib
import functools
import logging
from collections.abc import Iterator

from django.conf import settings
from graphql import ASTValidationRule, GraphQLError, OperationType, ValidationRule
from graphql.error import GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.relay.types import GlobalIDValueError

from infra.errors import DomainError
from observability.context import current_request_id, request_id_for
from observability.errors import (
    INTERNAL_ERROR,
    SERVICE_UNAVAILABLE,
    SERVICE_UNAVAILABLE_MESSAGE,
    database_unavailable,
    error_record,
)

from .input_limits import literal_limits_rule, variable_errors
from .query_cost import cost_errors

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


def _mutation_count_rule(max_mutations: int) -> type[ValidationRule]:
    class MutationCountLimit(ValidationRule):
        """Refuse documents that run more than `max_mutations` mutation fields."""

        def enter_operation_definition(self, node, *_args):
            if node.operation != OperationType.MUTATION:
                return
            if len(node.selection_set.selections) > max_mutations:
                self.report_error(
                    GraphQLError(
                        f"At most {max_mutations} mutations in one document are allowed.",
                        node,
                        extensions={"code": "TOO_MANY_MUTATIONS"},
                    )
                )

    return MutationCountLimit


@functools.cache
def limit_rules(
    max_depth: int,
    max_aliases: int,
    max_mutations: int,
    introspection: bool,
    max_list_length: int,
    max_input_depth: int,
) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of the limits, built once per set of values.

    The same classes on every request let the validation cache recognise a
    document it has already checked (a rule class is part of its key).
    """
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
        _mutation_count_rule(max_mutations),
        literal_limits_rule(max_list_length, max_input_depth),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def configured_limit_rules() -> tuple[type[ASTValidationRule], ...]:
    """The limit rules for the current settings (GRAPHQL_MAX_*, GRAPHQL_INTROSPECTION)."""
    return limit_rules(
        settings.GRAPHQL_MAX_DEPTH,
        settings.GRAPHQL_MAX_ALIASES,
        settings.GRAPHQL_MAX_MUTATIONS,
        settings.GRAPHQL_INTROSPECTION,
        settings.GRAPHQL_MAX_LIST_LENGTH,
        settings.GRAPHQL_MAX_INPUT_DEPTH,
    )


class LimitRules(SchemaExtension):
    """Depth, aliases, mutation count, input literals and (unless enabled)
    introspection, read from the settings."""

    def on_operation(self) -> Iterator[None]:
        rules = configured_limit_rules()
        self.execution_context.validation_rules = self.execution_context.validation_rules + rules
        yield


def _code_of(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if isinstance(original, GlobalIDValueError):
        return "INVALID_ID"
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


def errors_log(errors: list[GraphQLError]) -> None:
    """Log each client error as one line, without a traceback: any client can cause
    them, cheaply. Unexpected errors are logged, with theirs, where they are masked."""
    for error in errors:
        if not _is_unexpected(error):
            logger.info("client error %s: %s", _code_of(error), " ".join(error.message.split())[:500])


class ErrorCodesAndMasking(MaskErrors):
    """Mask unexpected exceptions; give every error an `extensions.code`."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        # Outside an HTTP request (a schema executed directly) there is no id yet.
        request_id = current_request_id() or request_id_for(None)
        logger.error(
            "unexpected error in %s",
            ".".join(str(part) for part in error.path or []) or "operation",
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        if database_unavailable(error.original_error):
            masked.message = SERVICE_UNAVAILABLE_MESSAGE
            masked.extensions = {"code": SERVICE_UNAVAILABLE, "requestId": request_id}
            response = getattr(self.execution_context.context, "response", None)
            if response is not None:  # over HTTP (a websocket has no status)
                response.status_code = 503
        else:
            masked.extensions = {"code": INTERNAL_ERROR, "requestId": request_id}
        return masked

    def _process_result(self, result: object) -> None:
        # strawberry checks `result` against a runtime-checkable Protocol: a
        # slow isinstance that, per subscriber and event, was 7% of a fan-out.
        if errors := getattr(result, "errors", None):
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            code = (error.extensions or {}).get("code")
            if not code:
                code = _code_of(error)
                error.extensions = {**(error.extensions or {}), "code": code}
            error_record(code)
        return processed


class DocumentParserCache(ParserCache):
    """ParserCache that leaves documents which fail to parse to strawberry.

    Raised from the extension, a syntax error (or a document over the token
    limit) would skip strawberry's error handling and lose its code; left
    unparsed, strawberry parses it again and reports it as usual.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


class ValidationAndVariableLimits(ValidationCache):
    """The validation cache, then the limits that depend on the variables.

    A cached verdict covers the document alone: the same document comes back
    with other variables, so their size, nesting and text, and the cost they
    give the query, are checked on every request, before any resolver runs
    (and before the answer cache builds a key from them).
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = self.cached_validate_document(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        if not context.pre_execution_errors:
            context.pre_execution_errors = variable_errors(
                context.variables,
                max_list_length=settings.GRAPHQL_MAX_LIST_LENGTH,
                max_depth=settings.GRAPHQL_MAX_INPUT_DEPTH,
            ) or cost_errors(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                max_cost=settings.GRAPHQL_MAX_COST,
                page_size=settings.GRAPHQL_MAX_RESULTS,
            )
        yield


# Parsed and validated documents are kept per query text (LRU-bounded, so
# unique texts cannot grow memory). Documents over the token limit never
# parse, so they are never cached; validation results are keyed by the rule
# classes too, so a change of a limit is never answered from the cache.
DOCUMENT_CACHE_SIZE = 512


def security_extensions() -> list:
    """The schema extensions that bound what one document may ask for, and the
    parse/validation caches that make the checks cheap for repeated documents."""
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        LimitRules,
        lambda: DocumentParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationAndVariableLimits(maxsize=DOCUMENT_CACHE_SIZE),
        ErrorCodesAndMasking,
    ]
