"""Values stored encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag),
with the keys of settings.FIELD_ENCRYPTION_KEYS: the first encrypts, every one decrypts."""

from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def field_encryption() -> MultiFernet:
    """The cipher of the configured keys (cached per key list, so overridden settings apply)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Text that the database only ever holds as a Fernet token. It cannot be
    filtered on: every encryption of the same text differs."""

    def get_prep_value(self, value: object) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else field_encryption().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        return None if value is None else field_encryption().decrypt(value.encode()).decode()


def encrypted_fields_reencrypt(*, batch_size: int = 500) -> int:
    """Rewrite every encrypted value with the first key, so older keys can be
    dropped from FIELD_ENCRYPTION_KEY. Returns the number of rows rewritten."""
    rewritten = 0
    for model in apps.get_models():
        names = [field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]
        if not names:
            continue
        for row in model._default_manager.only("pk", *names).iterator(chunk_size=batch_size):
            row.save(update_fields=names)
            rewritten += 1
    return rewritten
