"""tokenAuth, refreshToken, verifyToken, revokeToken, logout, deactivateAccount,
updateProfile and the JWT rules: what is accepted as an access token and what never is."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accounts.models import RefreshToken, User
from commerce.cleanup import cleanup_run
from tests.api.accounts.operations import (
    DEACTIVATE,
    LOGOUT,
    ME,
    REFRESH,
    REVOKE,
    TOKEN_AUTH,
    UPDATE_PROFILE,
    VERIFY_TOKEN,
)
from tests.conftest import DEFAULT_PASSWORD, codes

pytestmark = pytest.mark.django_db


def claims_for(user: User, **overrides) -> dict:
    now = timezone.now()
    claims = {
        "sub": str(user.pk),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def is_dead(gql, token: str, refusal: str = "INVALID_TOKEN") -> bool:
    """An access token that does not verify, and whose requests are refused with
    `refusal` (never served anonymously)."""
    refused = gql.error_codes(ME, token=token) == [refusal]
    verify = gql(VERIFY_TOKEN, {"token": token})["verifyToken"]
    return refused and codes(verify) == ["INVALID_TOKEN"]


def test_token_auth_returns_a_working_pair(customer, login, gql):
    before = timezone.now()
    pair = login("Customer@EXAMPLE.com")

    assert pair["__typename"] == "TokenPayload"
    assert pair["user"]["email"] == "customer@example.com"
    claims = pair["payload"]
    assert claims["sub"] == str(customer.pk)
    assert claims["typ"] == "access"
    assert {"jti", "iat", "exp"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == settings.JWT_ACCESS_TTL.total_seconds()
    assert jwt.get_unverified_header(pair["token"])["alg"] == "HS256"
    assert pair["refreshExpiresIn"] >= int((before + settings.JWT_REFRESH_TTL).timestamp())
    # The refresh token is stored only as a digest.
    row = RefreshToken.objects.get(user=customer)
    assert pair["refreshToken"] not in row.token_hash
    customer.refresh_from_db()
    assert customer.last_login >= before

    for scheme in ("JWT", "Bearer"):
        me = gql(ME, headers={"Authorization": f"{scheme} {pair['token']}"})["me"]
        # The user the token check builds from its row answers as the one tokenAuth loaded.
        assert me == pair["user"]
    verified = gql(VERIFY_TOKEN, {"token": pair["token"]})["verifyToken"]
    assert verified["payload"]["jti"] == claims["jti"]


def test_me_is_null_for_anonymous_callers(gql, customer):
    assert gql(ME)["me"] is None
    # Another scheme (e.g. a staging proxy's Basic auth) is not a token of ours.
    assert gql(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"})["me"] is None


@pytest.mark.parametrize("authorization", ["JWT", "JWT   ", "Bearer not-a-jwt", "JWT a.b.c"])
def test_a_malformed_access_token_is_refused_not_anonymous(gql, authorization):
    assert gql.error_codes(ME, headers={"Authorization": authorization}) == ["INVALID_TOKEN"]


def test_unknown_email_answers_exactly_like_a_wrong_password(customer, login):
    password_hash = customer.password

    wrong_password = login("customer@example.com", "not-the-Password-1")
    unknown_email = login("stranger@example.com", "not-the-Password-1")

    assert wrong_password == unknown_email
    assert wrong_password["__typename"] == "OperationInfo"
    assert codes(wrong_password) == ["INVALID_CREDENTIALS"]
    assert wrong_password["messages"][0]["message"] == "Please enter a correct email and password."
    customer.refresh_from_db()
    assert customer.password == password_hash
    assert customer.last_login is None
    assert RefreshToken.objects.count() == 0


def test_deactivated_account_cannot_log_in(make_user, login):
    user = make_user("gone@example.com", active=False)

    payload = login("gone@example.com")

    assert payload == login("ghost@example.com")
    assert codes(payload) == ["INVALID_CREDENTIALS"]
    user.refresh_from_db()
    assert not user.is_active and user.last_login is None
    assert RefreshToken.objects.count() == 0


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda user: "garbage", id="garbage"),
        pytest.param(lambda user: "a.b.c", id="three-garbage-parts"),
        pytest.param(
            lambda user: jwt.encode(
                claims_for(user, exp=timezone.now() - timedelta(seconds=1), iat=timezone.now() - timedelta(hours=1)),
                settings.JWT_SECRET_KEY,
                algorithm="HS256",
            ),
            id="expired",
        ),
        pytest.param(lambda user: jwt.encode(claims_for(user), None, algorithm="none"), id="alg-none"),
        pytest.param(
            lambda user: jwt.encode(claims_for(user), "another-secret-key-of-32-bytes!!", algorithm="HS256"),
            id="other-key",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user), settings.JWT_SECRET_KEY, algorithm="HS384"),
            id="alg-not-allowed",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, typ="refresh"), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="refresh-typ",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, typ=None), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="no-typ",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, jti=None), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="no-jti",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, exp=None), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="no-exp",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, iat=None), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="no-iat",
        ),
        pytest.param(
            lambda user: jwt.encode(claims_for(user, sub=None), settings.JWT_SECRET_KEY, algorithm="HS256"),
            id="no-sub",
        ),
        pytest.param(
            lambda user: jwt.encode(
                claims_for(user, ver=user.token_version + 1), settings.JWT_SECRET_KEY, algorithm="HS256"
            ),
            id="other-token-version",
        ),
    ],
)
def test_forged_or_broken_access_tokens_are_refused(gql, customer, forge, request):
    token = forge(customer)
    # Only a token we signed whose sole fault is its age asks for a refresh.
    refusal = "TOKEN_EXPIRED" if request.node.callspec.id == "expired" else "INVALID_TOKEN"

    assert is_dead(gql, token, refusal)
    assert gql.error_codes(UPDATE_PROFILE, {"input": {"firstName": "Hacked"}}, token=token) == [refusal]
    customer.refresh_from_db()
    assert customer.first_name == "Cora"


def test_a_well_signed_control_token_is_accepted(gql, customer):
    # The forged tokens above differ from this one in a single respect each.
    token = jwt.encode(claims_for(customer), settings.JWT_SECRET_KEY, algorithm="HS256")
    assert gql(ME, token=token)["me"]["email"] == "customer@example.com"


def test_a_refresh_token_is_never_an_access_token(customer, login, gql):
    pair = login("customer@example.com")

    assert is_dead(gql, pair["refreshToken"])
    # ...and an access token is no refresh token either.
    refreshed = gql(REFRESH, {"refreshToken": pair["token"]})["refreshToken"]
    assert codes(refreshed) == ["INVALID_TOKEN"]


def test_an_access_token_of_an_earlier_token_version_is_dead(gql, customer):
    token = jwt.encode(claims_for(customer), settings.JWT_SECRET_KEY, algorithm="HS256")
    User.objects.filter(pk=customer.pk).update(token_version=customer.token_version + 1)

    assert is_dead(gql, token)


def test_refresh_rotates_and_reuse_revokes_the_whole_family(customer, login, gql):
    first = login("customer@example.com")
    other_session = login("customer@example.com")

    second = gql(REFRESH, {"refreshToken": first["refreshToken"]})["refreshToken"]
    assert second["__typename"] == "TokenPayload"
    assert second["refreshToken"] != first["refreshToken"]
    assert second["payload"]["sid"] == first["payload"]["sid"]
    assert gql(ME, token=second["token"])["me"]["email"] == "customer@example.com"

    # The rotated token is replayed (stolen?): it fails, and so does the whole family.
    replay = gql(REFRESH, {"refreshToken": first["refreshToken"]})["refreshToken"]
    assert codes(replay) == ["INVALID_TOKEN"]
    after_replay = gql(REFRESH, {"refreshToken": second["refreshToken"]})["refreshToken"]
    assert codes(after_replay) == ["INVALID_TOKEN"]
    family = RefreshToken.objects.filter(family=first["payload"]["sid"])
    assert family.count() == 2
    assert not family.filter(revoked_at__isnull=True).exists()

    # Another login of the same user is untouched.
    untouched = gql(REFRESH, {"refreshToken": other_session["refreshToken"]})["refreshToken"]
    assert untouched["__typename"] == "TokenPayload"


@pytest.mark.parametrize("raw", ["", "garbage", None])
def test_refresh_refuses_unknown_tokens(gql, customer, raw):
    payload = gql(REFRESH, {"refreshToken": raw})["refreshToken"]

    assert codes(payload) == ["INVALID_TOKEN"]
    assert RefreshToken.objects.count() == 0


def test_refresh_refuses_an_expired_refresh_token(customer, login, gql):
    pair = login("customer@example.com")
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert codes(gql(REFRESH, {"refreshToken": pair["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    assert RefreshToken.objects.count() == 1


def test_revoke_token_kills_the_family(customer, login, gql):
    pair = login("customer@example.com")
    rotated = gql(REFRESH, {"refreshToken": pair["refreshToken"]})["refreshToken"]

    revoked = gql(REVOKE, {"refreshToken": pair["refreshToken"]})["revokeToken"]

    assert revoked["__typename"] == "RevokePayload"
    assert abs(revoked["revoked"] - timezone.now().timestamp()) < 60
    assert codes(gql(REFRESH, {"refreshToken": rotated["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    unknown = gql(REVOKE, {"refreshToken": "no-such-token"})["revokeToken"]
    assert codes(unknown) == ["INVALID_TOKEN"]


def test_logout_kills_the_session_and_its_access_token(customer, login, gql):
    session = login("customer@example.com")
    other = login("customer@example.com")

    out = gql(LOGOUT, token=session["token"])["logout"]

    assert out == {"__typename": "OkPayload", "ok": True}
    assert is_dead(gql, session["token"])
    # Refused until it expires: the revoked refresh rows of its session outlive it, even through a cleanup.
    cleanup_run(now=datetime.fromtimestamp(session["payload"]["exp"], tz=UTC))
    ended = RefreshToken.objects.filter(family=session["payload"]["sid"])
    assert ended.exists() and not ended.filter(revoked_at__isnull=True).exists()
    assert is_dead(gql, session["token"])
    assert codes(gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    # Only this session ended.
    assert gql(ME, token=other["token"])["me"]["email"] == "customer@example.com"
    assert gql(REFRESH, {"refreshToken": other["refreshToken"]})["refreshToken"]["__typename"] == "TokenPayload"
    customer.refresh_from_db()
    assert customer.is_active


def test_logout_needs_a_login(gql):
    payload = gql(LOGOUT)["logout"]

    assert codes(payload) == ["UNAUTHENTICATED"]
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()


def test_deactivate_account_keeps_the_data_and_kills_every_token(customer, login, gql):
    session = login("customer@example.com")
    other = login("customer@example.com")

    payload = gql(DEACTIVATE, {"password": DEFAULT_PASSWORD}, token=session["token"])["deactivateAccount"]

    assert payload == {"__typename": "OkPayload", "ok": True}
    customer.refresh_from_db()
    assert not customer.is_active
    assert customer.first_name == "Cora" and customer.check_password(DEFAULT_PASSWORD)
    for pair in (session, other):
        assert is_dead(gql, pair["token"])
        assert codes(gql(REFRESH, {"refreshToken": pair["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    assert codes(login("customer@example.com")) == ["INVALID_CREDENTIALS"]


def test_deactivate_account_with_a_wrong_password_changes_nothing(customer, login, gql):
    session = login("customer@example.com")

    payload = gql(DEACTIVATE, {"password": "wrong-Password-1"}, token=session["token"])["deactivateAccount"]

    assert codes(payload) == ["INVALID_PASSWORD"]
    assert payload["messages"][0]["field"] == "password"
    customer.refresh_from_db()
    assert customer.is_active
    assert gql(ME, token=session["token"])["me"]["email"] == "customer@example.com"
    assert codes(gql(DEACTIVATE, {"password": DEFAULT_PASSWORD})["deactivateAccount"]) == ["UNAUTHENTICATED"]


def test_update_profile(customer, gql):
    payload = gql(UPDATE_PROFILE, {"input": {"lastName": " Smith ", "phone": "+1 555 0100"}}, user=customer)

    user = payload["updateProfile"]["user"]
    assert (user["firstName"], user["lastName"], user["phone"]) == ("Cora", "Smith", "+1 555 0100")
    customer.refresh_from_db()
    assert (customer.last_name, customer.phone) == ("Smith", "+1 555 0100")


def test_update_profile_validation_and_anonymous(customer, gql):
    too_long = gql(UPDATE_PROFILE, {"input": {"phone": "1" * 40}}, user=customer)["updateProfile"]
    anonymous = gql(UPDATE_PROFILE, {"input": {"firstName": "Nobody"}})["updateProfile"]

    assert too_long["__typename"] == "OperationInfo"
    assert too_long["messages"][0]["field"] == "phone"
    assert codes(too_long) == ["MAX_LENGTH"]
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone) == ("Cora", "")


@override_settings(AUTH_RATE_LIMIT="3/m")
def test_login_is_throttled_per_email(customer, post_from, login):
    password_hash = customer.password
    for attempt in range(3):
        failed = post_from(TOKEN_AUTH, {"email": "customer@example.com", "password": "nope"}, ip=f"10.0.0.{attempt}")
        assert codes(failed["tokenAuth"]) == ["INVALID_CREDENTIALS"]

    # From yet another address, even the right password is refused now.
    limited = post_from(TOKEN_AUTH, {"email": "CUSTOMER@example.com", "password": DEFAULT_PASSWORD}, ip="10.0.0.99")[
        "tokenAuth"
    ]

    assert limited["__typename"] == "OperationInfo"
    assert codes(limited) == ["RATE_LIMITED"]
    customer.refresh_from_db()
    assert customer.last_login is None and customer.password == password_hash
    assert RefreshToken.objects.count() == 0


@override_settings(AUTH_RATE_LIMIT="3/m")
def test_login_is_throttled_per_client_ip(make_user, post_from):
    make_user("victim@example.com")
    for attempt in range(3):
        failed = post_from(TOKEN_AUTH, {"email": f"guess{attempt}@example.com", "password": "x"}, ip="10.9.9.9")
        assert codes(failed["tokenAuth"]) == ["INVALID_CREDENTIALS"]

    same_ip = post_from(TOKEN_AUTH, {"email": "victim@example.com", "password": DEFAULT_PASSWORD}, ip="10.9.9.9")
    other_ip = post_from(TOKEN_AUTH, {"email": "victim@example.com", "password": DEFAULT_PASSWORD}, ip="10.1.1.1")

    assert codes(same_ip["tokenAuth"]) == ["RATE_LIMITED"]
    assert other_ip["tokenAuth"]["__typename"] == "TokenPayload"
    assert RefreshToken.objects.count() == 1


@override_settings(AUTH_RATE_LIMIT="3/m")
def test_successful_login_clears_the_email_counter(customer, post_from):
    def attempt(password: str, ip: str) -> dict:
        return post_from(TOKEN_AUTH, {"email": "customer@example.com", "password": password}, ip=ip)["tokenAuth"]

    for n in range(2):
        assert codes(attempt("nope", f"10.0.1.{n}")) == ["INVALID_CREDENTIALS"]
    assert attempt(DEFAULT_PASSWORD, "10.0.1.10")["__typename"] == "TokenPayload"
    # The email's counter started again, so two more failures are still not throttled.
    for n in range(2, 4):
        assert codes(attempt("nope", f"10.0.1.{n}")) == ["INVALID_CREDENTIALS"]
    assert attempt(DEFAULT_PASSWORD, "10.0.1.11")["__typename"] == "TokenPayload"
