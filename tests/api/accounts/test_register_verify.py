"""register, verifyEmail, resendVerificationEmail, and the account rules behind them."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from accounts.models import User
from tests.api.accounts.operations import ME, REGISTER, RESEND, VERIFY_EMAIL
from tests.conftest import DEFAULT_PASSWORD, codes

pytestmark = pytest.mark.django_db


def register(gql, email: str, password: str = DEFAULT_PASSWORD, **names) -> dict:
    return gql(REGISTER, {"input": {"email": email, "password": password, **names}})["register"]


def test_register_creates_an_unverified_account_and_mails_a_link(gql, run_tasks, mailoutbox, link_token):
    payload = register(gql, "New.Person@Example.COM", firstName=" Ada ", lastName="Lovelace")

    assert payload == {"__typename": "RegisterPayload", "ok": True}
    user = User.objects.get()
    assert user.email == "New.Person@example.com"  # the domain part is case-insensitive
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.is_active and not user.email_verified and not user.is_staff
    assert user.check_password(DEFAULT_PASSWORD)
    assert mailoutbox == []  # the email leaves from the actor, after commit
    assert run_tasks() == 1
    assert [message.to for message in mailoutbox] == [["New.Person@example.com"]]
    assert f"{settings.FRONTEND_URL}/verify-email?token=" in mailoutbox[0].body
    assert timedelta(hours=24) == settings.EMAIL_VERIFICATION_TTL
    assert "expires in 24 hours" in mailoutbox[0].body
    assert link_token("New.Person@example.com", "verify-email")


def test_verification_link_verifies_once_then_login_works(gql, run_tasks, mailoutbox, link_token, login):
    register(gql, "ada@example.com")
    run_tasks()
    token = link_token("ada@example.com", "verify-email")
    assert codes(login("ada@example.com")) == ["INVALID_CREDENTIALS"]  # unverified

    verified = gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]

    assert verified["__typename"] == "VerifyEmailPayload"
    assert verified["user"]["email"] == "ada@example.com"
    assert verified["user"]["emailVerified"] is True
    assert User.objects.get().email_verified
    pair = login("ada@example.com")
    assert pair["__typename"] == "TokenPayload"
    assert gql(ME, token=pair["token"])["me"]["email"] == "ada@example.com"

    # The same link a second time is dead.
    again = gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]
    assert again["__typename"] == "OperationInfo"
    assert codes(again) == ["INVALID_TOKEN"]
    assert User.objects.get().email_verified


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "PASSWORD_TOO_SHORT"),
        ("password123", "PASSWORD_TOO_COMMON"),
        ("73829104657", "PASSWORD_ENTIRELY_NUMERIC"),
        ("weak.person@example.com", "PASSWORD_TOO_SIMILAR"),
    ],
)
def test_register_refuses_weak_passwords(gql, run_tasks, mailoutbox, password, code):
    payload = register(gql, "weak.person@example.com", password)

    assert payload["__typename"] == "OperationInfo"
    assert code in codes(payload)
    assert {message["kind"] for message in payload["messages"]} == {"VALIDATION"}
    assert {message["field"] for message in payload["messages"]} == {"password"}
    assert User.objects.count() == 0
    assert run_tasks() == 0
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["not-an-email", "", "two@@example.com", "spaces in@example.com"])
def test_register_refuses_invalid_email(gql, run_tasks, mailoutbox, email):
    payload = register(gql, email)

    assert codes(payload) == ["INVALID_EMAIL"]
    assert payload["messages"][0]["field"] == "email"
    assert User.objects.count() == 0
    assert run_tasks() == 0
    assert mailoutbox == []


def test_register_with_a_registered_email_in_another_case_answers_the_same(gql, make_user, run_tasks, mailoutbox):
    existing = make_user("owner@example.com", first_name="Owen")
    password_hash = existing.password

    known = register(gql, "OWNER@Example.com", "another-Secret-pass-42", firstName="Mallory")
    unknown = register(gql, "nobody@example.com", "another-Secret-pass-42", firstName="Mallory")

    assert known == unknown == {"__typename": "RegisterPayload", "ok": True}
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.password == password_hash
    assert existing.first_name == "Owen"
    assert existing.email_verified
    assert run_tasks() == 2
    to_owner = [message for message in mailoutbox if message.to == ["owner@example.com"]]
    assert len(to_owner) == 1
    assert to_owner[0].subject == "Someone tried to register with your address"
    assert "verify-email?token=" not in to_owner[0].body


def test_verify_email_refuses_an_expired_token(gql, run_tasks, link_token):
    register(gql, "late@example.com")
    run_tasks()
    token = link_token("late@example.com", "verify-email")

    with override_settings(EMAIL_VERIFICATION_TTL=timedelta(seconds=-1)):
        payload = gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]

    assert codes(payload) == ["INVALID_TOKEN"]
    assert not User.objects.get().email_verified
    # Within the normal lifetime the same token still works.
    assert gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]["user"]["emailVerified"] is True


@pytest.mark.parametrize("token", ["garbage", "", "eyJ1IjoxfQ:1abcde:signature"])
def test_verify_email_refuses_garbage(gql, make_user, token):
    user = make_user(verified=False)

    assert codes(gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]) == ["INVALID_TOKEN"]
    user.refresh_from_db()
    assert not user.email_verified


def test_verify_email_refuses_a_password_reset_token(gql, make_user, run_tasks, link_token):
    from tests.api.accounts.operations import REQUEST_RESET

    user = make_user("mixed@example.com", verified=False)
    gql(REQUEST_RESET, {"email": "mixed@example.com"})
    run_tasks()
    reset_token = link_token("mixed@example.com", "reset-password")

    assert codes(gql(VERIFY_EMAIL, {"token": reset_token})["verifyEmail"]) == ["INVALID_TOKEN"]
    user.refresh_from_db()
    assert not user.email_verified


def test_resend_verification_answers_the_same_for_every_email(gql, make_user, run_tasks, mailoutbox, link_token):
    make_user("pending@example.com", verified=False)
    make_user("done@example.com", verified=True)

    answers = [
        gql(RESEND, {"email": email})["resendVerificationEmail"]
        for email in ["PENDING@example.com", "done@example.com", "ghost@example.com", "not-an-email"]
    ]

    assert all(answer == {"__typename": "OkPayload", "ok": True} for answer in answers)
    assert run_tasks() == 1
    assert [message.to for message in mailoutbox] == [["pending@example.com"]]
    token = link_token("pending@example.com", "verify-email")
    assert gql(VERIFY_EMAIL, {"token": token})["verifyEmail"]["user"]["emailVerified"] is True


def test_unverified_login_is_refused_like_a_wrong_password(make_user, login):
    user = make_user("unverified@example.com", verified=False)
    make_user("verified@example.com")

    unverified = login("unverified@example.com")
    wrong_password = login("verified@example.com", "wrong-Password-123")

    assert unverified == wrong_password
    assert codes(unverified) == ["INVALID_CREDENTIALS"]
    user.refresh_from_db()
    assert user.last_login is None
    assert not user.refresh_tokens.exists()


def test_createsuperuser_noinput_gives_a_working_staff_login(monkeypatch, db, login, gql):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "admin-Secret-pass-7")

    call_command("createsuperuser", "--noinput", verbosity=0)

    user = User.objects.get()
    assert user.is_staff and user.is_superuser and user.is_active and user.email_verified
    pair = login("admin@example.com", "admin-Secret-pass-7")
    assert pair["__typename"] == "TokenPayload"
    me = gql(ME, token=pair["token"])["me"]
    assert me["isStaff"] is True
    assert me["email"] == "Admin@example.com"


def test_resend_verification_is_throttled(gql, make_user, run_tasks, mailoutbox, settings):
    settings.AUTH_RATE_LIMIT = "2/m"
    make_user("pending@example.com", verified=False)
    answers = [gql(RESEND, {"email": "pending@example.com"})["resendVerificationEmail"] for _ in range(3)]
    assert [answer["__typename"] for answer in answers] == ["OkPayload", "OkPayload", "OperationInfo"]
    assert codes(answers[2]) == ["RATE_LIMITED"]
    assert run_tasks() == 2
    assert len(mailoutbox) == 2


@override_settings(AUTH_RATE_LIMIT="2/m")
def test_register_is_throttled_per_email_and_per_client_ip(make_user, post_from, run_tasks, mailoutbox):
    make_user("taken@example.com")
    variables = {"input": {"email": "TAKEN@example.com", "password": DEFAULT_PASSWORD}}
    answers = [post_from(REGISTER, variables, ip=f"10.6.0.{n}")["register"] for n in range(3)]

    assert [answer["__typename"] for answer in answers] == ["RegisterPayload"] * 2 + ["OperationInfo"]
    assert codes(answers[2]) == ["RATE_LIMITED"]
    assert run_tasks() == 2, "the owner of a registered address gets at most the limit of mails"
    # Per client IP too, for new addresses: no accounts without limit.
    for n in range(2):
        fresh = {"input": {"email": f"new{n}@example.com", "password": DEFAULT_PASSWORD}}
        assert post_from(REGISTER, fresh, ip="10.7.7.7")["register"]["__typename"] == "RegisterPayload"
    refused = {"input": {"email": "new9@example.com", "password": DEFAULT_PASSWORD}}
    assert codes(post_from(REGISTER, refused, ip="10.7.7.7")["register"]) == ["RATE_LIMITED"]
    assert not User.objects.filter(email="new9@example.com").exists()
    assert run_tasks() == 2
    assert len(mailoutbox) == 4
