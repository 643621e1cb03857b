"""Expected failures of partner apps and webhooks, each with its stable code."""

from infra.errors import DomainError, ErrorKind


class InvalidWebhookUrl(DomainError):
    code = "INVALID_WEBHOOK_URL"
    kind = ErrorKind.VALIDATION
    default_message = "The webhook URL must be a public http(s) address."

    def __init__(self, message: str | None = None):
        super().__init__(message, field="targetUrl")


class InvalidScope(DomainError):
    code = "INVALID_SCOPE"
    kind = ErrorKind.VALIDATION
    default_message = "Unknown scope."


class InvalidWebhookEvent(DomainError):
    code = "INVALID_WEBHOOK_EVENT"
    kind = ErrorKind.VALIDATION
    default_message = "Unknown webhook event."


class WebhookInactive(DomainError):
    code = "WEBHOOK_INACTIVE"
    default_message = "The webhook or its app is inactive, or the app lacks the scope for this event."


class InvalidWebhookQuery(DomainError):
    code = "INVALID_WEBHOOK_QUERY"
    kind = ErrorKind.VALIDATION
    default_message = "The webhook's query is not a valid subscription document."

    def __init__(self, message: str | None = None):
        super().__init__(message, field="query")


class WebhookQueryEventMismatch(DomainError):
    code = "WEBHOOK_QUERY_EVENT_MISMATCH"
    kind = ErrorKind.VALIDATION
    default_message = "The query's subscription field does not carry the webhook's events."

    def __init__(self, message: str | None = None):
        super().__init__(message, field="query")
