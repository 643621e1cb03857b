"""`POST /webhooks/payments/<provider>/`: the providers' notifications.

The raw body is verified by the provider module before anything is parsed or
stored. Unknown or unconfigured provider, bad or missing signature: 400 and
nothing changes. A verified event is recorded (a redelivery is recognised by
its event id and answered 200) and settled, with its order, by `payment_event_receive`.
"""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from commerce.payments.base import ProviderUnavailable, WebhookRequest, WebhookVerificationError
from commerce.payments.registry import provider_by_name
from commerce.settlement.services import payment_event_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> JsonResponse:
    try:
        gateway = provider_by_name(provider)
    except ProviderUnavailable:
        return JsonResponse({"ok": False, "error": "unknown provider"}, status=400)
    try:
        event = gateway.parse_webhook(
            WebhookRequest(body=request.body, headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR", ""))
        )
    except WebhookVerificationError as exc:
        logger.warning("payment webhook %s rejected: %s", provider, exc)
        return JsonResponse({"ok": False, "error": "verification failed"}, status=400)
    row = payment_event_receive(event=event)
    if row is None:
        return JsonResponse({"ok": True, "duplicate": True})
    return JsonResponse({"ok": True, "outcome": row.outcome})
