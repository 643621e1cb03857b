"""FIELD_ENCRYPTION_KEY rotates: with `new,old` everything stays readable,
`manage.py reencrypt_fields` rewrites it under the new key, and then the old key can go."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from accounts.principal import Principal
from partners import services
from partners.models import AppScope, Webhook, WebhookEventType


@pytest.mark.django_db
def test_rows_reencrypted_with_the_new_key_are_readable_without_the_old_one(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    app, _ = services.app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
    _, secret = services.webhook_create(
        principal=Principal.system(),
        app_id=app.pk,
        target_url="https://93.184.215.14/hook",
        events=[WebhookEventType.ORDER_CREATED],
    )

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(InvalidToken):
        Webhook.objects.get()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert Webhook.objects.get().secret == secret
    call_command("reencrypt_fields")

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Webhook.objects.get().secret == secret
