"""Values stored encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag),
with the keys of settings.FIELD_ENCRYPTION_KEYS: the first encrypts, every one decrypts."""

from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
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
