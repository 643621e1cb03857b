"""One attempt at a webhook delivery: check the target, sign, POST, record.

The POST runs outside any transaction or row lock; the attempt and the
delivery's new status are written afterwards in a short transaction.
"""

import json
import time
from dataclasses import dataclass
from enum import Enum

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter

from .errors import InvalidWebhookUrl
from .models import EVENT_SCOPES, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus
from .signing import webhook_signature
from .targets import Target, webhook_target_check

USER_AGENT = "fm-core-webhooks/1"
MAX_ERROR_LENGTH = 500


class Outcome(Enum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"  # failed; the caller may try again later
    FAILED = "failed"  # final: no more attempts
    SKIPPED = "skipped"  # nothing to do (unknown or already delivered)


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address that passed the target check, whatever DNS says
    now; TLS still verifies the certificate against the URL's host name."""

    def __init__(self, target: Target):
        self.target = target
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = self.target.address
        host_params["port"] = self.target.port
        if self.target.scheme == "https":
            pool_kwargs["server_hostname"] = self.target.host
            pool_kwargs["assert_hostname"] = self.target.host
        return host_params, pool_kwargs


@dataclass(frozen=True)
class _Response:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON document POSTed to the receiver (compact, keys sorted)."""
    document = {
        "id": str(delivery.uuid),
        "event": delivery.event,
        "createdAt": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    if delivery.errors:
        document["errors"] = delivery.errors
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default_port = 443 if target.scheme == "https" else 80
    return host if target.port == default_port else f"{host}:{target.port}"


def _signing_secrets(webhook: Webhook) -> list[str]:
    """The current secret, then the one it replaced while their overlap lasts."""
    rotated_at = webhook.secret_rotated_at
    if webhook.previous_secret and rotated_at and timezone.now() < rotated_at + settings.WEBHOOK_SECRET_OVERLAP:
        return [webhook.secret, webhook.previous_secret]
    return [webhook.secret]


def _post(delivery: WebhookDelivery) -> _Response:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = webhook_target_check(delivery.webhook.target_url)
    except InvalidWebhookUrl as exc:
        return _Response(status_code=None, error=f"Refused target: {exc.message}", duration_ms=elapsed())
    body = delivery_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": _host_header(target),
        "X-FMCore-Event": delivery.event,
        "X-FMCore-Delivery": str(delivery.uuid),
        "X-FMCore-Signature": webhook_signature(
            secrets=_signing_secrets(delivery.webhook), timestamp=timestamp, body=body
        ),
    }
    with requests.Session() as session:
        session.trust_env = False  # no proxies from the environment: they would bypass the address check
        session.mount(f"{target.scheme}://", _PinnedAdapter(target))
        try:
            response = session.post(
                target.url, data=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False
            )
        except requests.RequestException as exc:
            return _Response(status_code=None, error=f"{type(exc).__name__}: {exc}", duration_ms=elapsed())
        response.close()
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return _Response(status_code=response.status_code, error=error, duration_ms=elapsed())


def _deliverable(delivery: WebhookDelivery) -> bool:
    webhook = delivery.webhook
    return webhook.is_active and webhook.app.has_scope(EVENT_SCOPES[delivery.event])


def _shape(delivery: WebhookDelivery) -> None:
    """Give a delivery of a webhook with a query that query's answer, once: every
    retry sends the same body. Run outside any transaction (it reads like the API)."""
    webhook = delivery.webhook
    if delivery.payload is not None or delivery.errors is not None or not webhook.query:
        return
    # The payload is an answer of the API's schema, which sits above this module.
    from schema.partners.webhook_documents import webhook_document_execute

    result = webhook_document_execute(
        query=webhook.query, app=webhook.app, subject_type=delivery.subject_type, subject_id=delivery.subject_id or 0
    )
    WebhookDelivery.objects.filter(pk=delivery.pk, payload__isnull=True, errors__isnull=True).update(
        payload=result.data, errors=result.errors
    )
    delivery.refresh_from_db(fields=["payload", "errors"])


def webhook_delivery_attempt(*, delivery_id: int, final: bool) -> Outcome:
    """Try to deliver once and record the attempt.

    `final` says no retry follows: a failure then marks the delivery FAILED.
    A webhook that was switched off (or whose app lost access) fails at once
    without a request.
    """
    delivery = WebhookDelivery.objects.select_related("webhook__app").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == WebhookDeliveryStatus.SUCCEEDED:
        return Outcome.SKIPPED
    if _deliverable(delivery):
        _shape(delivery)
        response = _post(delivery)
    else:
        response = _Response(status_code=None, error="The webhook or its app is inactive.", duration_ms=0)
        final = True
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        now = timezone.now()
        delivery.attempt_count += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempt_count,
            status_code=response.status_code,
            duration_ms=response.duration_ms,
            error=response.error[:MAX_ERROR_LENGTH],
            succeeded=response.ok,
            created_at=now,
        )
        delivery.last_attempt_at = now
        if response.ok:
            delivery.status = WebhookDeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
        elif final and delivery.status != WebhookDeliveryStatus.SUCCEEDED:
            delivery.status = WebhookDeliveryStatus.FAILED
        delivery.save(update_fields=["attempt_count", "last_attempt_at", "status", "delivered_at"])
    if response.ok:
        return Outcome.SUCCEEDED
    return Outcome.FAILED if final else Outcome.RETRY
