"""The webhook signature: `X-FMCore-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.

While a rotated secret overlaps, the header carries one `v1=` per secret, the
newest first: `t=<unix>,v1=<new>,v1=<old>`. A receiver accepts any `v1` it can verify.
"""

import hashlib
import hmac
from collections.abc import Sequence


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_signature(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The X-FMCore-Signature header value for `body` sent at `timestamp`, signed with each secret in turn."""
    return ",".join([f"t={timestamp}", *(f"v1={_mac(secret, timestamp, body)}" for secret in secrets)])


def webhook_signature_valid(*, secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver checks: a fresh timestamp (replay window) and a `v1` matching its secret."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for name, value in parts if name == "t"]
    try:
        timestamp = int(timestamps[0])
    except (IndexError, ValueError):
        return False
    expected = _mac(secret, timestamp, body)
    signatures = [value for name, value in parts if name == "v1"]
    return abs(now - timestamp) <= tolerance and any(hmac.compare_digest(expected, v1) for v1 in signatures)
