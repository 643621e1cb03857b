"""Rotating SECRET_KEY and JWT_SECRET_KEY: links already mailed and access tokens
already issued keep working while their old key is a fallback, and only then."""

import secrets

import pytest

from accounts.models import User
from tests.api.accounts.operations import ME, REGISTER, REQUEST_RESET, RESET_PASSWORD, VERIFY_EMAIL
from tests.conftest import access_token, codes

pytestmark = pytest.mark.django_db

OLD_KEY = secrets.token_urlsafe(50)
NEW_KEY = secrets.token_urlsafe(50)
NEW_PASSWORD = "brand-New-secret-77"


@pytest.fixture
def old_key(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    return settings


def rotate(settings, *, keep_old: bool) -> None:
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY] if keep_old else []


def test_a_verification_link_mailed_before_the_rotation_still_verifies(old_key, gql, run_tasks, link_token):
    gql(REGISTER, {"input": {"email": "ada@example.com", "password": "correct-Horse-42"}})
    run_tasks()
    token = link_token("ada@example.com", "verify-email")

    rotate(old_key, keep_old=True)
    verified = gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]

    assert verified["__typename"] == "VerifyEmailPayload"
    assert User.objects.get().email_verified


def test_a_link_whose_key_was_dropped_is_refused(old_key, gql, run_tasks, link_token):
    gql(REGISTER, {"input": {"email": "ada@example.com", "password": "correct-Horse-42"}})
    run_tasks()
    token = link_token("ada@example.com", "verify-email")

    rotate(old_key, keep_old=False)

    assert codes(gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]) == ["INVALID_TOKEN"]
    assert not User.objects.get().email_verified


def test_a_reset_link_mailed_before_the_rotation_still_resets(old_key, customer, gql, run_tasks, link_token):
    gql(REQUEST_RESET, {"email": customer.email})
    run_tasks()
    token = link_token(customer.email, "reset-password")

    rotate(old_key, keep_old=True)
    reset = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]

    assert reset == {"__typename": "OkPayload", "ok": True}
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_an_access_token_works_while_its_key_is_a_fallback_and_not_after(settings, gql, customer):
    settings.JWT_SECRET_KEY, settings.JWT_SECRET_KEY_FALLBACKS = OLD_KEY, []
    token = access_token(customer)

    settings.JWT_SECRET_KEY, settings.JWT_SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert gql(ME, token=token)["me"]["email"] == customer.email
    # New tokens are signed with the current key only.
    fresh = access_token(customer)
    settings.JWT_SECRET_KEY_FALLBACKS = []
    assert gql(ME, token=fresh)["me"]["email"] == customer.email

    assert gql.error_codes(ME, token=token) == ["INVALID_TOKEN"]
