"""requestPasswordReset, resetPassword and changePassword."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings

from accounts.models import RefreshToken
from tests.api.accounts.operations import CHANGE_PASSWORD, ME, REFRESH, REQUEST_RESET, RESET_PASSWORD, VERIFY_TOKEN
from tests.conftest import DEFAULT_PASSWORD, codes
from tests.timing import slower_share

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "brand-New-secret-77"
ROUNDS = 300


@pytest.fixture
def reset_token(gql, run_tasks, link_token):
    """Ask for a reset link for `email` and return the token it carries."""

    def ask(email: str) -> str:
        assert gql(REQUEST_RESET, {"email": email})["requestPasswordReset"] == {"__typename": "OkPayload", "ok": True}
        assert run_tasks() == 1
        return link_token(email, "reset-password")

    return ask


def test_request_password_reset_mails_a_link_and_answers_the_same_for_unknown_emails(
    gql, customer, make_user, run_tasks, mailoutbox
):
    make_user("gone@example.com", active=False)

    answers = [
        gql(REQUEST_RESET, {"email": email})["requestPasswordReset"]
        for email in ["Customer@example.com", "ghost@example.com", "gone@example.com", "not-an-email"]
    ]

    assert all(answer == {"__typename": "OkPayload", "ok": True} for answer in answers)
    assert run_tasks() == 4, "every request queues the same work; the actor mails active accounts only"
    assert [message.to for message in mailoutbox] == [["customer@example.com"]]
    assert f"{settings.FRONTEND_URL}/reset-password?token=" in mailoutbox[0].body
    assert timedelta(hours=1) == settings.PASSWORD_RESET_TTL
    assert "expires in 60 minutes" in mailoutbox[0].body
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_reset_password_sets_the_password_once_and_logs_out_everywhere(customer, gql, login, reset_token):
    session = login("customer@example.com")
    token = reset_token("customer@example.com")

    payload = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]

    assert payload == {"__typename": "OkPayload", "ok": True}
    assert codes(login("customer@example.com")) == ["INVALID_CREDENTIALS"]
    assert login("customer@example.com", NEW_PASSWORD)["__typename"] == "TokenPayload"
    assert gql.error_codes(ME, token=session["token"]) == ["INVALID_TOKEN"]
    assert codes(gql(VERIFY_TOKEN, {"token": session["token"]})["verifyToken"]) == ["INVALID_TOKEN"]
    assert codes(gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]

    # The link works once.
    again = gql(RESET_PASSWORD, {"token": token, "newPassword": "third-Password-99"})["resetPassword"]
    assert codes(again) == ["INVALID_TOKEN"]
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_reset_password_refuses_an_expired_token(customer, gql, reset_token):
    token = reset_token("customer@example.com")

    with override_settings(PASSWORD_RESET_TTL=timedelta(seconds=-1)):
        payload = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]

    assert codes(payload) == ["INVALID_TOKEN"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


def test_reset_password_refuses_garbage_and_verification_tokens(make_user, gql, run_tasks, link_token):
    from tests.api.accounts.operations import RESEND

    user = make_user("pending@example.com", verified=False)
    gql(RESEND, {"email": "pending@example.com"})
    run_tasks()
    verification = link_token("pending@example.com", "verify-email")

    for token in ["garbage", verification]:
        payload = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]
        assert codes(payload) == ["INVALID_TOKEN"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert not user.email_verified


def test_reset_password_refuses_a_weak_password_and_keeps_the_token_usable(customer, gql, login, reset_token):
    session = login("customer@example.com")
    token = reset_token("customer@example.com")

    weak = gql(RESET_PASSWORD, {"token": token, "newPassword": "12345678"})["resetPassword"]

    assert weak["__typename"] == "OperationInfo"
    assert {"PASSWORD_TOO_COMMON", "PASSWORD_ENTIRELY_NUMERIC"} <= set(codes(weak))
    assert {message["field"] for message in weak["messages"]} == {"newPassword"}
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)
    assert gql(ME, token=session["token"])["me"]["email"] == "customer@example.com"
    ok = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]
    assert ok["__typename"] == "OkPayload"


def test_a_reset_link_dies_when_the_account_is_deactivated(customer, gql, reset_token):
    from accounts.models import User

    token = reset_token("customer@example.com")
    User.objects.filter(pk=customer.pk).update(is_active=False)

    payload = gql(RESET_PASSWORD, {"token": token, "newPassword": NEW_PASSWORD})["resetPassword"]

    assert codes(payload) == ["INVALID_TOKEN"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)


@override_settings(AUTH_RATE_LIMIT="3/m")
def test_password_reset_requests_are_throttled(customer, post_from, run_tasks, mailoutbox):
    answers = [
        post_from(REQUEST_RESET, {"email": "customer@example.com"}, ip=f"10.2.0.{n}")["requestPasswordReset"]
        for n in range(4)
    ]

    assert [answer["__typename"] for answer in answers] == ["OkPayload"] * 3 + ["OperationInfo"]
    assert codes(answers[3]) == ["RATE_LIMITED"]
    assert run_tasks() == 3
    # Per client IP too, for any email, known or not.
    for n in range(3):
        post_from(REQUEST_RESET, {"email": f"someone{n}@example.com"}, ip="10.3.3.3")
    limited = post_from(REQUEST_RESET, {"email": "other@example.com"}, ip="10.3.3.3")["requestPasswordReset"]
    assert codes(limited) == ["RATE_LIMITED"]
    assert run_tasks() == 3, "every email that passes the throttle is queued; the actor finds no account"
    assert len(mailoutbox) == 3


@override_settings(AUTH_RATE_LIMIT="100000/m")
def test_password_reset_request_takes_as_long_for_unknown_emails(customer, post_from, run_tasks, mailoutbox):
    def request(email: str) -> Callable[[], dict]:
        return lambda: post_from(REQUEST_RESET, {"email": email}, ip="10.8.0.1")

    share = slower_share(request(customer.email), request("nobody@example.com"), rounds=ROUNDS)

    # About 0.5 ± 0.03 when both take as long; the known email's extra work (looking it up,
    # queueing its mail) made it 0.65 to 0.9.
    assert 0.38 < share < 0.62, f"the known email was slower in {share:.0%} of {ROUNDS} pairs"
    run_tasks()
    assert {tuple(message.to) for message in mailoutbox} == {(customer.email,)}


def test_change_password_logs_out_everywhere(customer, gql, login):
    session = login("customer@example.com")
    other = login("customer@example.com")

    payload = gql(
        CHANGE_PASSWORD, {"oldPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD}, token=session["token"]
    )["changePassword"]

    assert payload == {"__typename": "OkPayload", "ok": True}
    for pair in (session, other):
        assert gql.error_codes(ME, token=pair["token"]) == ["INVALID_TOKEN"]
        assert codes(gql(REFRESH, {"refreshToken": pair["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    assert codes(login("customer@example.com")) == ["INVALID_CREDENTIALS"]
    assert login("customer@example.com", NEW_PASSWORD)["__typename"] == "TokenPayload"


def test_change_password_failures_change_nothing(customer, gql, login):
    session = login("customer@example.com")

    wrong_old = gql(
        CHANGE_PASSWORD, {"oldPassword": "wrong-Password-1", "newPassword": NEW_PASSWORD}, token=session["token"]
    )["changePassword"]
    weak_new = gql(CHANGE_PASSWORD, {"oldPassword": DEFAULT_PASSWORD, "newPassword": "short"}, token=session["token"])[
        "changePassword"
    ]
    anonymous = gql(CHANGE_PASSWORD, {"oldPassword": DEFAULT_PASSWORD, "newPassword": NEW_PASSWORD})["changePassword"]

    assert codes(wrong_old) == ["INVALID_PASSWORD"]
    assert wrong_old["messages"][0]["field"] == "oldPassword"
    assert "PASSWORD_TOO_SHORT" in codes(weak_new)
    assert {message["field"] for message in weak_new["messages"]} == {"newPassword"}
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    customer.refresh_from_db()
    assert customer.check_password(DEFAULT_PASSWORD)
    assert gql(ME, token=session["token"])["me"]["email"] == "customer@example.com"
    assert RefreshToken.objects.filter(revoked_at__isnull=False).count() == 0
