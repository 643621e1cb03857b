"""JSON over HTTPS to providers, always with a timeout, failures as `ProviderError`."""

import logging
from typing import Any

import requests
from django.conf import settings

from commerce.payments.base import ProviderError

logger = logging.getLogger(__name__)


def provider_request(
    method: str, url: str, *, provider: str, expected: tuple[int, ...] = (200, 201), **kwargs: Any
) -> dict[str, Any]:
    """Send one request and return the decoded JSON body.

    Network errors, timeouts, unexpected statuses and non-JSON bodies raise a
    `ProviderError` whose message is safe to show; the details go to the log.
    """
    timeout = kwargs.pop("timeout", settings.PAYMENTS_HTTP_TIMEOUT)
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        logger.warning("%s: %s %s failed: %s", provider, method, url, exc)
        raise ProviderError() from exc
    if response.status_code not in expected:
        logger.warning("%s: %s %s answered %s: %s", provider, method, url, response.status_code, response.text[:500])
        raise ProviderError()
    try:
        body = response.json()
    except ValueError as exc:
        logger.warning("%s: %s %s answered a non-JSON body", provider, method, url)
        raise ProviderError() from exc
    if not isinstance(body, dict):
        raise ProviderError()
    return body
