"""The one registry of machine codes the API can return.

Every `DomainError.code`, every `extensions.code` of a top-level GraphQL
error and of an HTTP refusal is a key of `ERROR_CODES`. The GraphQL enum
`ErrorCode` (the type of `OperationMessage.code`) and docs/errors.md
(`manage.py export_error_codes`) are generated from it; tests check that
nothing raises a code that is missing here.
"""

from dataclasses import dataclass
from enum import Enum


class Surface(Enum):
    """Where a client meets a code."""

    OPERATION = "`OperationInfo.messages[].code` of a mutation"
    GRAPHQL = "top-level `errors[].extensions.code`"
    HTTP = "HTTP refusal: `errors[].extensions.code` with a 4xx status"
    WEBSOCKET = "websocket `connection_init` refusal"


@dataclass(frozen=True)
class ErrorCodeInfo:
    surfaces: tuple[Surface, ...]
    meaning: str
    client_action: str


_OP = (Surface.OPERATION,)
_GQL = (Surface.GRAPHQL,)
_HTTP = (Surface.HTTP,)

ERROR_CODES: dict[str, ErrorCodeInfo] = {
    # --- any mutation ------------------------------------------------------------
    "ERROR": ErrorCodeInfo(_OP, "The operation failed for a reason without a more specific code.", "Show the message."),
    "NOT_FOUND": ErrorCodeInfo(
        _OP,
        "The object does not exist or is not yours (the API does not tell which).",
        "Refresh the view; the object may have been deleted.",
    ),
    "PERMISSION_DENIED": ErrorCodeInfo(
        _OP, "The caller is known but may not do this.", "Hide the action for this user or app."
    ),
    "UNAUTHENTICATED": ErrorCodeInfo(_OP, "The operation needs a logged-in user.", "Send the user to the login."),
    "INVALID_INPUT": ErrorCodeInfo(_OP, "An argument is not valid (see `field`).", "Show the message at the field."),
    "RATE_LIMITED": ErrorCodeInfo(_OP, "Too many attempts from this caller.", "Wait a minute before trying again."),
    "INVALID_PAGINATION": ErrorCodeInfo(
        (Surface.OPERATION, Surface.GRAPHQL),
        "`first`/`last` is negative or `after`/`before` is not a cursor of this connection.",
        "Restart paging from the first page.",
    ),
    "BLANK": ErrorCodeInfo(_OP, "A required field is empty (`field` names it).", "Ask the user to fill it in."),
    "MAX_LENGTH": ErrorCodeInfo(_OP, "A text is longer than its field allows.", "Shorten it."),
    # --- accounts ----------------------------------------------------------------
    "INVALID_CREDENTIALS": ErrorCodeInfo(
        _OP,
        "Wrong email or password, or the account is unverified or deactivated (deliberately not said which).",
        "Show the message; offer password reset and resending the verification email.",
    ),
    "INVALID_TOKEN": ErrorCodeInfo(
        (Surface.OPERATION, Surface.GRAPHQL, Surface.WEBSOCKET),
        "A token (access, refresh, email or reset) is malformed, revoked or expired. As a top-level error: "
        "the access token sent with the request is not valid.",
        "Drop the stored tokens and log in again.",
    ),
    "TOKEN_EXPIRED": ErrorCodeInfo(
        _GQL,
        "The access token sent with the request has expired.",
        "Call `refreshToken` and retry the request with the new access token.",
    ),
    "INVALID_PASSWORD": ErrorCodeInfo(_OP, "The current password given is wrong.", "Ask for it again."),
    "INVALID_EMAIL": ErrorCodeInfo(_OP, "The email address is not valid.", "Ask for it again."),
    "PASSWORD_TOO_SHORT": ErrorCodeInfo(_OP, "The new password is too short.", "Ask for a longer one."),
    "PASSWORD_TOO_COMMON": ErrorCodeInfo(_OP, "The new password is a common one.", "Ask for another."),
    "PASSWORD_ENTIRELY_NUMERIC": ErrorCodeInfo(_OP, "The new password has only digits.", "Ask for another."),
    "PASSWORD_TOO_SIMILAR": ErrorCodeInfo(_OP, "The new password resembles the email or name.", "Ask for another."),
    "SOCIAL_AUTH_FAILED": ErrorCodeInfo(
        _OP, "The login provider did not confirm the access token.", "Restart the provider's login."
    ),
    "EMAIL_NOT_VERIFIED": ErrorCodeInfo(
        _OP, "The login provider has not verified this email address.", "Ask the user to verify it there."
    ),
    "UNSUPPORTED_PROVIDER": ErrorCodeInfo(_OP, "Unknown social login provider.", "Use `google-oauth2`."),
    # --- commerce ----------------------------------------------------------------
    "COMMERCE_ERROR": ErrorCodeInfo(_OP, "A commerce rule refused the operation.", "Show the message."),
    "OUT_OF_STOCK": ErrorCodeInfo(_OP, "Not enough stock for the quantity asked.", "Lower the quantity."),
    "INVALID_QUANTITY": ErrorCodeInfo(_OP, "The quantity is zero, negative or too large.", "Correct the quantity."),
    "PRODUCT_UNAVAILABLE": ErrorCodeInfo(
        _OP, "The product is no longer on sale.", "Remove it from the cart and refresh the catalog."
    ),
    "EMPTY_CART": ErrorCodeInfo(_OP, "Checkout of an empty cart.", "Send the user back to the catalog."),
    "INVALID_CART_TOKEN": ErrorCodeInfo(
        _OP,
        "The `X-Cart-Token` opens no guest cart: unknown, expired (`GUEST_CART_TTL_DAYS` untouched) or malformed.",
        "Drop the token and call `createGuestCart` for a new one.",
    ),
    "INVALID_TRANSITION": ErrorCodeInfo(
        _OP, "The order cannot move to that status from its current one.", "Reload the order."
    ),
    "ALREADY_EXISTS": ErrorCodeInfo(_OP, "An object with this unique value exists.", "Choose another value."),
    "VARIANT_REQUIRED": ErrorCodeInfo(
        _OP, "The product has several variants and none was named.", "Let the user pick one and send `variantId`."
    ),
    "UNKNOWN_OPTION": ErrorCodeInfo(
        _OP,
        "A variant's options do not match the product's options (unknown name or value, or one missing).",
        "Use the names and values of `Product.options`, one value per option.",
    ),
    "INVALID_COUNTRY": ErrorCodeInfo(_OP, "Not a two-letter ISO 3166-1 country code.", "Use e.g. `DE`."),
    "TOO_MANY_ADDRESSES": ErrorCodeInfo(_OP, "The address book is full.", "Delete an address first."),
    "ORDER_NOT_PAYABLE": ErrorCodeInfo(_OP, "The order cannot be paid in its status.", "Reload the order."),
    "PAYMENT_NOT_REFUNDABLE": ErrorCodeInfo(_OP, "The payment cannot be refunded.", "Reload the payment."),
    "INVALID_REFUND_AMOUNT": ErrorCodeInfo(
        _OP, "The refund is not positive or exceeds what is left.", "Correct the amount."
    ),
    "INVALID_PAYMENT_STATE": ErrorCodeInfo(_OP, "The payment's status does not allow this.", "Reload the payment."),
    "PAYMENT_IN_PROGRESS": ErrorCodeInfo(
        _OP, "Another payment of the order is in progress.", "Complete that payment or wait until it fails."
    ),
    "VOUCHER_INVALID": ErrorCodeInfo(
        _OP, "No voucher has this code, or it is not valid yet.", "Check the code; the message says which."
    ),
    "VOUCHER_EXPIRED": ErrorCodeInfo(_OP, "The voucher's validity window has ended.", "Remove the voucher."),
    "VOUCHER_USED_UP": ErrorCodeInfo(
        _OP, "The voucher reached its overall or per-customer usage limit.", "Remove the voucher."
    ),
    "VOUCHER_MIN_SUBTOTAL": ErrorCodeInfo(
        _OP, "The cart's subtotal is below the voucher's minimum.", "Add to the cart or remove the voucher."
    ),
    "SHIPPING_METHOD_REQUIRED": ErrorCodeInfo(
        _OP, "Shipping methods serve the address's country and none was chosen.", "Offer `availableShippingMethods`."
    ),
    "SHIPPING_METHOD_UNAVAILABLE": ErrorCodeInfo(
        _OP, "The chosen shipping method does not ship to the address's country.", "Choose another method."
    ),
    "PAYMENT_METHOD_UNAVAILABLE": ErrorCodeInfo(
        _OP, "The payment method is not configured on this server.", "Offer another method."
    ),
    "PAYMENT_PROVIDER_ERROR": ErrorCodeInfo(
        _OP, "The payment provider failed or refused.", "Retry later or offer another method."
    ),
    "ORDER_NOT_FULFILLABLE": ErrorCodeInfo(
        _OP, "Only a PAID order can be shipped (`addFulfilment`).", "Reload the order; ship it once it is paid."
    ),
    "FULFILMENT_EXCEEDS_ORDER": ErrorCodeInfo(
        _OP,
        "A fulfilment line ships more units than are left unshipped of that order line, or nothing is left to ship.",
        "Reload the order's fulfilments and ship at most what is left.",
    ),
    # --- event streams -----------------------------------------------------------
    "INVALID_CURSOR": ErrorCodeInfo(
        (Surface.OPERATION, Surface.GRAPHQL),
        "`after` is not a cursor an order event gave out.",
        "Resume from the `cursor` of the last event you received.",
    ),
    "CURSOR_EXPIRED": ErrorCodeInfo(
        (Surface.OPERATION, Surface.GRAPHQL),
        "`after` points further back than the server keeps events for (`ORDER_EVENT_RETENTION_SECONDS`).",
        "Reload the current state (orders, payments), then subscribe without `after` and store the new cursors.",
    ),
    # --- partner apps ------------------------------------------------------------
    "INVALID_NAME": ErrorCodeInfo(_OP, "The app name is empty or too long.", "Correct the name."),
    "INVALID_WEBHOOK_URL": ErrorCodeInfo(_OP, "The webhook URL is not a public http(s) address.", "Correct it."),
    "INVALID_SCOPE": ErrorCodeInfo(_OP, "Unknown app scope.", "Use a scope listed in docs/partners.md."),
    "INVALID_WEBHOOK_EVENT": ErrorCodeInfo(_OP, "Unknown webhook event.", "Use an event listed in docs/partners.md."),
    "WEBHOOK_INACTIVE": ErrorCodeInfo(
        _OP, "The webhook or its app is inactive, or lacks the scope for the event.", "Activate it or grant the scope."
    ),
    "INVALID_WEBHOOK_QUERY": ErrorCodeInfo(
        _OP,
        "The webhook's `query` is not one subscription document valid against the schema (syntax, unknown "
        "field, several operations, variables, the depth and alias limits).",
        "Fix the document; the message says what is wrong. Try it in GraphiQL first.",
    ),
    "WEBHOOK_QUERY_EVENT_MISMATCH": ErrorCodeInfo(
        _OP,
        "The `query` selects a subscription field that does not carry every event of the webhook.",
        "Select the field of those events (docs/partners.md), or split the events over two webhooks.",
    ),
    # --- the GraphQL document ----------------------------------------------------
    "GRAPHQL_PARSE_FAILED": ErrorCodeInfo(_GQL, "The document is not valid GraphQL syntax.", "Fix the document."),
    "GRAPHQL_VALIDATION_FAILED": ErrorCodeInfo(
        _GQL, "The document does not match the schema (unknown field, wrong argument type, ...).", "Fix the document."
    ),
    "INVALID_ID": ErrorCodeInfo(
        _GQL, "An `ID` argument or variable is not a global id of this API.", "Send ids as the API returned them."
    ),
    "QUERY_TOO_DEEP": ErrorCodeInfo(_GQL, "The document nests deeper than the server allows.", "Split the query."),
    "TOO_MANY_ALIASES": ErrorCodeInfo(_GQL, "The document has too many aliases.", "Split the query."),
    "TOO_MANY_TOKENS": ErrorCodeInfo(_GQL, "The document is too long.", "Split the query."),
    "TOO_MANY_MUTATIONS": ErrorCodeInfo(_GQL, "Too many mutation fields in one document.", "Send fewer at a time."),
    "LIST_TOO_LONG": ErrorCodeInfo(
        _GQL, "A list argument or variable holds more items than the server allows.", "Send fewer items per request."
    ),
    "INPUT_TOO_DEEP": ErrorCodeInfo(
        _GQL, "Lists or input objects in an argument or variable nest too deep.", "Flatten the input."
    ),
    "QUERY_TOO_COSTLY": ErrorCodeInfo(
        _GQL,
        "The query would cost more than the server allows (connections multiply by the page they ask for).",
        "Ask for smaller pages or fewer fields, or split the query.",
    ),
    "INTROSPECTION_DISABLED": ErrorCodeInfo(
        _GQL, "Introspection is off on this server.", "Use the committed schema.graphql for code generation."
    ),
    "SUBSCRIPTION_OVER_HTTP": ErrorCodeInfo(
        _HTTP, "A subscription was sent over HTTP.", "Use a websocket with the graphql-transport-ws protocol."
    ),
    "PERSISTED_QUERY_NOT_FOUND": ErrorCodeInfo(
        _GQL,
        "The server does not know the document of this `persistedQuery` hash.",
        "Send the request again with the document and its hash (Apollo's persisted-queries link does this).",
    ),
    "PERSISTED_QUERY_HASH_MISMATCH": ErrorCodeInfo(
        _GQL, "`persistedQuery.sha256Hash` is not the SHA-256 of the document sent.", "Hash the exact document text."
    ),
    "DOCUMENT_NOT_TRUSTED": ErrorCodeInfo(
        _GQL,
        "This server runs only registered documents, and the request sent another.",
        "Register the client's documents (`manage.py register_documents`) and send their hashes.",
    ),
    "INTERNAL_ERROR": ErrorCodeInfo(
        _GQL, "An unexpected server error; `requestId` identifies it in the logs.", "Retry later; report the id."
    ),
    # --- HTTP --------------------------------------------------------------------
    "INVALID_JSON": ErrorCodeInfo(_HTTP, "The body (or `variables`/`extensions`) is not valid JSON.", "Fix the JSON."),
    "INVALID_REQUEST": ErrorCodeInfo(
        (Surface.HTTP, Surface.GRAPHQL),
        "A GraphQL-over-HTTP parameter is missing or has the wrong type (`query` not a string, ...).",
        "Send `{query, variables?, operationName?, extensions?}`.",
    ),
    "UNSUPPORTED_MEDIA_TYPE": ErrorCodeInfo(
        _HTTP, "A POST body that is not `application/json` (status 415).", "Send `Content-Type: application/json`."
    ),
    "METHOD_NOT_ALLOWED": ErrorCodeInfo(_HTTP, "Only GET and POST are served (status 405).", "Use POST."),
    "MUTATION_OVER_GET": ErrorCodeInfo(_HTTP, "A mutation sent with GET (status 405).", "Send mutations with POST."),
    "BATCHING_NOT_SUPPORTED": ErrorCodeInfo(
        _HTTP, "The body is a JSON array of operations.", "Send one operation per request."
    ),
    "REQUEST_TOO_LARGE": ErrorCodeInfo(_HTTP, "The body is over the size limit (status 413).", "Send less."),
    "CSRF_FAILED": ErrorCodeInfo(
        _HTTP,
        "Cookie mode without a valid `X-CSRFToken` header or from an untrusted origin (status 403).",
        "Send the `csrftoken` cookie's value as `X-CSRFToken`.",
    ),
}


DOCS_INTRODUCTION = """\
# Error codes

<!-- Generated from infra/error_codes.py by `manage.py export_error_codes`; do not edit. -->

Every failure the API reports carries a stable UPPER_SNAKE `code`. It is the
GraphQL enum `ErrorCode` (the type of `OperationMessage.code`), so a code
generator gives clients the full list. Codes are never renamed; new ones may
be added, so clients should treat an unknown code like `ERROR`.

Where a code appears:

- **Mutations** return expected failures as data: `... on OperationInfo {
  messages { kind message field code } }`.
- **Top-level errors** (`errors[].extensions.code`) for problems of the
  request itself: the document, an `ID`, the access token, a persisted
  document. With `Accept: application/graphql-response+json` such an answer
  has no `data` and status 400 (401 for `TOKEN_EXPIRED` / `INVALID_TOKEN`);
  with `application/json` it is a 200 with `"data": null`.
- **HTTP refusals** answer the same JSON shape,
  `{"errors": [{"message": "...", "extensions": {"code": "..."}}]}`, with a
  4xx status whatever the `Accept` header.
- **Websockets** (graphql-transport-ws): a refused `connection_init` closes the
  socket with 4403 and the reason `{"code": "INVALID_TOKEN"}`; a socket whose
  token is revoked later is closed with 4403. The legacy `graphql-ws`
  subprotocol is refused at the handshake.

| code | where | what it means | what the client should do |
|---|---|---|---|
"""


def error_codes_markdown() -> str:
    """docs/errors.md: the registry as a table."""
    rows = [
        f"| `{code}` | {', '.join(s.name.lower() for s in info.surfaces)} | {info.meaning} | {info.client_action} |"
        for code, info in ERROR_CODES.items()
    ]
    return DOCS_INTRODUCTION + "\n".join(rows) + "\n"


def registered(code: str) -> str:
    """`code`, checked against the registry (an unknown code is a programming error)."""
    if code not in ERROR_CODES:
        raise ValueError(f"{code!r} is not in infra.error_codes.ERROR_CODES")
    return code
