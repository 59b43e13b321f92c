"""Encryption at rest for contact details and identity-document numbers.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under keys from the
environment (CRISISDESK_FIELD_KEYS). The first key encrypts; every key decrypts, so an
operator can rotate by prepending a new key. Encrypted columns cannot be searched or
compared in SQL: that is the point.
"""

from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CRISISDESK_FIELD_KEYS is empty: field encryption has no key.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def field_cipher() -> MultiFernet:
    return _fernet_for(tuple(settings.CRISISDESK_FIELD_KEYS))


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token. Blank stays blank, so emptiness is not secret."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return field_cipher().encrypt(value.encode()).decode("ascii")

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return field_cipher().decrypt(value.encode("ascii")).decode()
