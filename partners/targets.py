"""Where webhooks may point: public http(s) addresses only.

Checked when a webhook is saved and again before every delivery, against the
addresses the host resolves to *then*; the delivery connects to the address
that passed the check (see `partners.delivery`), so a DNS answer that changes
in between (DNS rebinding) cannot steer a request to an internal service.
IPv6 addresses that embed an IPv4 one for a tunnel or translator are refused
whatever they embed. `WEBHOOK_ALLOW_PRIVATE=1` lifts the address rule for development.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from .errors import InvalidWebhookUrl

SCHEMES = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: its host and port, and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _url_parts(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl("The webhook URL is not valid.") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidWebhookUrl("The webhook URL must start with http:// or https://.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise InvalidWebhookUrl("The webhook URL needs a host.")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("The webhook URL must not contain credentials.")
    return scheme, host, port or SCHEMES[scheme]


# IPv6 prefixes that carry an IPv4 address to a relay or translator (6to4, Teredo,
# NAT64 well-known and local-use): the IPv4 inside could be anything, 127.0.0.1 too.
IPV4_CARRYING_PREFIXES = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("2002::/16", "2001::/32", "64:ff9b::/96", "64:ff9b:1::/48")
)


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            address = address.ipv4_mapped
        elif any(address in prefix for prefix in IPV4_CARRYING_PREFIXES):
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidWebhookUrl("The webhook URL's host could not be resolved.") from exc
    # Scoped IPv6 addresses come back as "fe80::1%eth0". The stubs allow an int host
    # (AF_CAN and the like); an IP family's address always starts with the host string.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]  # type: ignore[union-attr]


def webhook_target_check(url: str) -> Target:
    """The target of `url` if it is a public http(s) address; `INVALID_WEBHOOK_URL` otherwise.

    Every address the host resolves to must be public: one private answer is
    enough to refuse (an attacker controls which answer gets used).
    """
    scheme, host, port = _url_parts(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise InvalidWebhookUrl("The webhook URL must not point to this machine.")
    addresses = _resolve(host, port)
    if not addresses:
        raise InvalidWebhookUrl("The webhook URL's host could not be resolved.")
    if not allow_private and not all(_is_public(address) for address in addresses):
        raise InvalidWebhookUrl("The webhook URL must not point to a private, loopback or link-local address.")
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=str(addresses[0]))
