"""The contract between fm-core and a payment provider.

A provider module turns our `Payment` into provider calls and provider answers
into the small normalised values below; it never touches the database. The
services in `commerce.payments` (and `commerce.settlement` where orders are involved) own every state change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from commerce.errors import CommerceError
from commerce.models import PaymentMethod, PaymentStatus, RefundStatus

if TYPE_CHECKING:
    from commerce.models import Payment, Refund


class ProviderUnavailable(CommerceError):
    """The method is unknown, switched off, or its provider has no credentials."""

    code = "PAYMENT_METHOD_UNAVAILABLE"
    default_message = "This payment method is not available."


class ProviderError(CommerceError):
    """The provider refused or could not be reached; the message is safe to show."""

    code = "PAYMENT_PROVIDER_ERROR"
    default_message = "The payment provider could not process the request. Please try again."


class WebhookVerificationError(Exception):
    """A webhook whose origin or integrity could not be proven: answer 400, change nothing."""


class NextActionKind(StrEnum):
    REDIRECT = "REDIRECT"  # send the buyer to `url`
    CLIENT_SECRET = "CLIENT_SECRET"  # confirm in the browser with the provider's JS and `client_secret`
    CLIENT_CHECKOUT = "CLIENT_CHECKOUT"  # open the provider's JS checkout with `data` (ePayco)


@dataclass(frozen=True)
class NextAction:
    """What the buyer's client must do to complete the payment."""

    type: NextActionKind
    url: str | None = None
    client_secret: str | None = None
    data: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": str(self.type), "url": self.url, "client_secret": self.client_secret, "data": self.data}

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> NextAction | None:
        if not value:
            return None
        return cls(
            type=NextActionKind(value["type"]),
            url=value.get("url"),
            client_secret=value.get("client_secret"),
            data=value.get("data"),
        )


@dataclass(frozen=True)
class SessionResult:
    """A payment session opened at the provider."""

    provider_reference: str
    next_action: NextAction | None
    raw: dict[str, Any]
    status: PaymentStatus = PaymentStatus.PENDING
    provider_data: dict[str, Any] = field(default_factory=dict)


# Kept as the name the issue uses for the same thing.
ProviderPayment = SessionResult


@dataclass(frozen=True)
class ProviderStatus:
    """The provider's current view of a payment. `amount`/`currency` are what it charged, if known."""

    status: PaymentStatus
    raw: dict[str, Any]
    amount: Decimal | None = None
    currency: str | None = None
    provider_data: dict[str, Any] = field(default_factory=dict)
    failure_reason: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified provider event, normalised.

    `status` is None for event types we record but do not act on.
    """

    provider: str
    event_id: str
    type: str
    provider_reference: str | None
    status: PaymentStatus | None
    amount: Decimal | None
    currency: str | None
    raw: dict[str, Any]
    provider_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    provider_reference: str
    status: RefundStatus
    raw: dict[str, Any]


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request a provider needs to verify a webhook."""

    body: bytes
    headers: Mapping[str, str]  # case-insensitive (Django's request.headers)
    remote_addr: str = ""


class PaymentProvider(ABC):
    """One payment provider. Instances are cheap: build one per use from settings."""

    name: ClassVar[str]
    method: ClassVar[PaymentMethod]
    # Settings that must all be non-empty for the provider to be available.
    required_settings: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def is_available(cls) -> bool:
        """True when every credential the provider needs is configured."""
        from django.conf import settings

        return all(getattr(settings, name, "") for name in cls.required_settings)

    @abstractmethod
    def create_session(self, payment: Payment) -> SessionResult:
        """Open a payment at the provider for `payment.amount`/`payment.currency`.

        Must be idempotent for the same `payment.reference` (the provider's
        idempotency key), so a retry after a timeout never charges twice.
        """

    @abstractmethod
    def fetch_status(self, payment: Payment) -> ProviderStatus:
        """Ask the provider for the payment's state, changing nothing there."""

    def confirm(self, payment: Payment) -> ProviderStatus:
        """Complete the payment where the provider needs us to (a PayPal capture,
        the DUMMY settlement); otherwise the same as `fetch_status`."""
        return self.fetch_status(payment)

    @abstractmethod
    def parse_webhook(self, request: WebhookRequest) -> ProviderEvent:
        """Verify a webhook and normalise it; raise `WebhookVerificationError` when it is not genuine."""

    @abstractmethod
    def refund(self, payment: Payment, refund: Refund) -> RefundResult:
        """Refund `refund.amount` of the payment, idempotently for `refund.reference`."""


# Stripe's list of currencies without a minor unit; our prices are in these units already.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)


def minor_units(amount: Decimal, currency: str) -> int:
    """The amount as an integer of the currency's smallest unit (cents), exactly."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    scaled = amount * (10**exponent)
    if scaled != scaled.to_integral_value():
        raise ProviderError(f"The amount {amount} cannot be charged in {currency.upper()}.")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return (Decimal(value) / (10**exponent)).quantize(Decimal("0.01"))
