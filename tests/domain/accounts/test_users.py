"""Accounts in the database and the settings: one account per email in any case, and
Argon2 hashes passwords outside tests."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from accounts.models import User
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_duplicate_case_insensitive_email_is_refused_by_the_database(make_user):
    from django.db import IntegrityError, transaction

    make_user("Unique@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("unique@EXAMPLE.com", DEFAULT_PASSWORD)
    assert User.objects.count() == 1


def test_argon2_is_the_first_password_hasher_outside_tests():
    # Tests put a fast hasher first; a fresh interpreter without pytest shows the real setting.
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "fmcore.settings"}
    env.pop("FMCORE_TESTING", None)
    output = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    ).stdout.strip()
    assert output == "django.contrib.auth.hashers.Argon2PasswordHasher"
    validators = [validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS]
    assert validators == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
