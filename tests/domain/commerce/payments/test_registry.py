"""Which methods can be used depends only on configuration."""

import pytest

from commerce.models import PaymentMethod
from commerce.payments.base import ProviderUnavailable
from commerce.payments.registry import available_methods, method_availability, provider_by_name, provider_for


def test_without_credentials_only_the_local_methods_are_available(settings):
    for name in (
        "STRIPE_SECRET_KEY",
        "PAYPAL_CLIENT_ID",
        "MAYA_SECRET_KEY",
        "EPAYCO_P_KEY",
    ):
        setattr(settings, name, "")
    settings.PAYMENTS_DUMMY_ENABLED = True

    assert set(available_methods()) == {PaymentMethod.COD, PaymentMethod.DUMMY}
    assert set(method_availability()) == set(PaymentMethod)
    for method in (PaymentMethod.CARD, PaymentMethod.PAYPAL, PaymentMethod.MAYA, PaymentMethod.EPAYCO):
        with pytest.raises(ProviderUnavailable):
            provider_for(method)


def test_every_method_has_a_provider_and_a_webhook_name(
    stripe_settings, paypal_settings, maya_settings, epayco_settings, dummy_settings
):
    assert set(available_methods()) == set(PaymentMethod)
    names = {method: provider_for(method).name for method in PaymentMethod}
    assert names == {
        PaymentMethod.CARD: "stripe",
        PaymentMethod.PAYPAL: "paypal",
        PaymentMethod.MAYA: "maya",
        PaymentMethod.EPAYCO: "epayco",
        PaymentMethod.COD: "cod",
        PaymentMethod.DUMMY: "dummy",
    }
    assert provider_by_name("stripe").method == PaymentMethod.CARD


@pytest.mark.parametrize("name", ["", "unknown", "STRIPE", "card"])
def test_unknown_provider_names(name, stripe_settings):
    with pytest.raises(ProviderUnavailable):
        provider_by_name(name)
