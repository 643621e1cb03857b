"""Webhook payloads shaped by a GraphQL document.

A webhook's `query` is a subscription document over the field that carries its
events (`subscription { orderStatusChanged { toStatus order { number } } }`).
It is checked against the schema when the webhook is saved; at the first
delivery attempt it is executed once, acting as the webhook's app (its scopes,
nothing more), over the event as the subscription's root value, the way a
live subscription resolves each event. The result is frozen in the delivery,
so every retry sends the same body.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute_sync,
    parse,
    validate,
)

from commerce.models import Fulfilment, OrderStatusChange, PaymentStatus, PaymentStatusChange
from infra.errors import DomainError
from observability.errors import INTERNAL_ERROR
from partners.errors import InvalidWebhookQuery, WebhookQueryEventMismatch
from partners.models import App, WebhookEventType
from schema.context import Context
from schema.fulfilment.subscriptions import fulfilment_for_event
from schema.fulfilment.types import OrderFulfilledEvent
from schema.orders.types import OrderStatusEvent
from schema.payments.types import PaymentStatusEvent
from schema.security import configured_limit_rules

logger = logging.getLogger("fmcore.partners")


def _order_status_event(subject_type: str, subject_id: int) -> OrderStatusEvent | None:
    if subject_type != OrderStatusChange._meta.label_lower:
        return None
    change = OrderStatusChange.objects.select_related("order__user").filter(pk=subject_id).first()
    return OrderStatusEvent.from_change(change) if change is not None else None


def _payment_status_event(subject_type: str, subject_id: int) -> PaymentStatusEvent | None:
    if subject_type != "commerce.payment":
        return None
    change = (
        PaymentStatusChange.objects.select_related("payment")
        .filter(payment_id=subject_id, to_status=PaymentStatus.SUCCEEDED)
        .order_by("-id")
        .first()
    )
    return PaymentStatusEvent.from_change(change) if change is not None else None


def _order_fulfilled_event(subject_type: str, subject_id: int) -> OrderFulfilledEvent | None:
    if subject_type != Fulfilment._meta.label_lower:
        return None
    fulfilment = fulfilment_for_event(subject_id)
    return OrderFulfilledEvent(order=fulfilment.order, fulfilment=fulfilment) if fulfilment is not None else None


@dataclass(frozen=True)
class DocumentRoot:
    """A subscription field a webhook document may select, the events it can
    shape, and how to load one event (its subject) as the field's root value."""

    events: frozenset[str]
    load: Callable[[str, int], Any]


# The one list of which event a document over which subscription field can shape.
DOCUMENT_ROOTS: dict[str, DocumentRoot] = {
    "orderStatusChanged": DocumentRoot(
        events=frozenset({WebhookEventType.ORDER_CREATED, WebhookEventType.ORDER_STATUS_CHANGED}),
        load=_order_status_event,
    ),
    "paymentStatusChanged": DocumentRoot(
        events=frozenset({WebhookEventType.PAYMENT_SUCCEEDED}), load=_payment_status_event
    ),
    "orderFulfilled": DocumentRoot(events=frozenset({WebhookEventType.ORDER_FULFILLED}), load=_order_fulfilled_event),
}


def _schema():
    # The schema imports the partner types, which import this module's callers.
    from schema import schema

    return schema._schema


def _root_field(document: DocumentNode) -> FieldNode | None:
    [operation] = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    [field] = operation.selection_set.selections
    return field if isinstance(field, FieldNode) else None


def webhook_document_check(*, query: str, events: list[str]) -> str:
    """The document, stripped, when it can shape the payload of every one of `events`.

    `INVALID_WEBHOOK_QUERY`: it does not parse, holds anything but exactly one
    subscription operation (fragments are fine), declares variables, or does
    not validate against the schema (an unknown field, a missing argument, the
    schema's depth and alias limits). `WEBHOOK_QUERY_EVENT_MISMATCH`: its root
    field does not carry all of the webhook's events.
    """
    query = query.strip()
    try:
        document = parse(query, max_tokens=settings.GRAPHQL_MAX_TOKENS)
    except GraphQLError as error:
        raise InvalidWebhookQuery(f"The query does not parse: {error.message}") from None
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if len(operations) != 1:
        raise InvalidWebhookQuery("The query must hold exactly one operation.")
    [operation] = operations
    if operation.operation != OperationType.SUBSCRIPTION:
        raise InvalidWebhookQuery("The query must be a subscription, e.g. `subscription { orderStatusChanged { … } }`.")
    if operation.variable_definitions:
        raise InvalidWebhookQuery("The query cannot declare variables: nothing would set them.")
    errors = validate(_schema(), document, rules=None)
    errors = errors or validate(_schema(), document, rules=configured_limit_rules())
    if errors:
        raise InvalidWebhookQuery(f"The query is not valid: {errors[0].message}")
    field = _root_field(document)
    if field is None:
        raise InvalidWebhookQuery("Select the subscription field itself, not through a fragment.")
    if field.arguments:
        raise InvalidWebhookQuery("The subscription field takes no arguments here: the webhook's events choose.")
    root = DOCUMENT_ROOTS.get(field.name.value)
    unserved = sorted(set(events) - root.events) if root else sorted(events)
    if unserved:
        carriers = ", ".join(f"{name} ({', '.join(sorted(r.events))})" for name, r in DOCUMENT_ROOTS.items())
        raise WebhookQueryEventMismatch(
            f"`{field.name.value}` does not carry {', '.join(unserved)}; fields and their events: {carriers}."
        )
    return query


def _app_context(app: App) -> Context:
    request = HttpRequest()
    request.user = AnonymousUser()
    return Context(request=request, response=HttpResponse(), app=app)


def _error_data(error: GraphQLError) -> dict:
    """An error as a GraphQL response shows it, with a code; unexpected ones masked."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
        message = error.message
    elif isinstance(original, DomainError) or hasattr(original, "code"):
        code, message = original.code, error.message
    else:
        logger.error("unexpected error in a webhook query", exc_info=original)
        code, message = INTERNAL_ERROR, "Unexpected error."
    return {"message": message, "path": error.path, "extensions": {"code": code}}


@dataclass(frozen=True)
class DocumentResult:
    data: dict | None
    errors: list[dict] | None


def webhook_document_execute(*, query: str, app: App, subject_type: str, subject_id: int) -> DocumentResult:
    """Execute a webhook's (checked) document as `app` over the event it delivers."""
    document = parse(query)
    field = _root_field(document)
    assert field is not None, "checked when the webhook was saved"
    root = DOCUMENT_ROOTS[field.name.value]
    event = root.load(subject_type, subject_id)
    if event is None:
        missing = {"message": "What the event is about no longer exists.", "extensions": {"code": "NOT_FOUND"}}
        return DocumentResult(data=None, errors=[missing])
    # Synchronously: lists come back as querysets, which are async-iterable too.
    result = execute_sync(_schema(), document, root_value=event, context_value=_app_context(app))
    errors = [_error_data(error) for error in result.errors or []]
    return DocumentResult(data=result.data, errors=errors or None)
