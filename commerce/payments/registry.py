"""Which provider serves which payment method, and whether it can be used now."""

from commerce.models import PaymentMethod
from commerce.payments.base import PaymentProvider, ProviderUnavailable
from commerce.payments.providers.cod import CashOnDeliveryProvider
from commerce.payments.providers.dummy import DummyProvider
from commerce.payments.providers.epayco import EpaycoProvider
from commerce.payments.providers.maya import MayaProvider
from commerce.payments.providers.paypal import PayPalProvider
from commerce.payments.providers.stripe_card import StripeCardProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {
    provider.name: provider
    for provider in (
        StripeCardProvider,
        PayPalProvider,
        MayaProvider,
        EpaycoProvider,
        CashOnDeliveryProvider,
        DummyProvider,
    )
}
METHOD_PROVIDERS: dict[str, type[PaymentProvider]] = {provider.method: provider for provider in PROVIDERS.values()}


def provider_by_name(name: str) -> PaymentProvider:
    """The configured provider called `name` (as in `/webhooks/payments/<name>/`).

    Raises `ProviderUnavailable` when the name is unknown or its credentials are missing.
    """
    provider = PROVIDERS.get(name)
    if provider is None or not provider.is_available():
        raise ProviderUnavailable()
    return provider()


def provider_for(method: str) -> PaymentProvider:
    """The configured provider of a `PaymentMethod`; `ProviderUnavailable` when it cannot be used."""
    provider = METHOD_PROVIDERS.get(method)
    if provider is None or not provider.is_available():
        raise ProviderUnavailable()
    return provider()


def method_availability() -> dict[PaymentMethod, bool]:
    """Every payment method and whether it can be used with the current settings."""
    return {PaymentMethod(method): METHOD_PROVIDERS[method].is_available() for method in PaymentMethod.values}


def available_methods() -> list[PaymentMethod]:
    return [method for method, available in method_availability().items() if available]
