"""socialAuth with google-oauth2; only Google's userinfo endpoint is faked."""

import pytest
import responses
from social_django.models import UserSocialAuth

from accounts.models import RefreshToken, User
from tests.api.accounts.operations import ME, SOCIAL_AUTH
from tests.conftest import DEFAULT_PASSWORD, codes

pytestmark = pytest.mark.django_db

USERINFO = "https://www.googleapis.com/oauth2/v3/userinfo"


@pytest.fixture
def google():
    """Google's userinfo endpoint, answering with the profile a test sets."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def answer(profile: dict | None = None, *, status: int = 200) -> None:
            mock.replace(responses.GET, USERINFO, json=profile or {"error": "invalid_token"}, status=status)

        mock.add(responses.GET, USERINFO, json={"error": "invalid_token"}, status=401)
        answer.calls = mock.calls
        yield answer


def profile(email: str = "gina@example.com", *, sub: str = "1234567890", verified: bool = True, **extra) -> dict:
    return {
        "sub": sub,
        "email": email,
        "email_verified": verified,
        "name": "Gina Google",
        "given_name": "Gina",
        "family_name": "Google",
        **extra,
    }


def social_auth(gql, access_token: str = "google-access-token", provider: str = "google-oauth2") -> dict:
    return gql(SOCIAL_AUTH, {"provider": provider, "accessToken": access_token})["socialAuth"]


def test_google_login_creates_a_verified_user(gql, google):
    google(profile())

    payload = social_auth(gql, "ya29.token")

    assert payload["__typename"] == "TokenPayload"
    assert payload["user"]["email"] == "gina@example.com"
    assert payload["user"]["emailVerified"] is True
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Gina", "Google")
    assert user.is_active and not user.is_staff
    assert not user.has_usable_password()
    assert UserSocialAuth.objects.get().uid == "1234567890"
    assert google.calls[-1].request.headers["Authorization"] == "Bearer ya29.token"
    assert gql(ME, token=payload["token"])["me"]["email"] == "gina@example.com"
    # The refresh token of a social login rotates like any other.
    assert RefreshToken.objects.filter(user=user).count() == 1

    # Logging in again with the same Google account finds the same user.
    again = social_auth(gql)
    assert again["user"]["id"] == payload["user"]["id"]
    assert User.objects.count() == 1
    assert UserSocialAuth.objects.count() == 1


def test_google_login_without_names_creates_a_user(gql, google):
    google({"sub": "42", "email": "plain@example.com", "email_verified": True})

    payload = social_auth(gql)

    assert payload["__typename"] == "TokenPayload"
    user = User.objects.get()
    assert (user.email, user.first_name, user.last_name) == ("plain@example.com", "", "")


def test_google_login_links_an_existing_verified_user(gql, google, make_user, login):
    existing = make_user("gina@example.com", first_name="Regina")
    google(profile("GINA@example.com"))

    payload = social_auth(gql)

    assert payload["__typename"] == "TokenPayload"
    assert payload["user"]["id"] == gql(ME, user=existing)["me"]["id"]
    assert User.objects.count() == 1
    assert UserSocialAuth.objects.get().user_id == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "Regina"
    # The password login keeps working beside Google.
    assert login("gina@example.com")["__typename"] == "TokenPayload"


def test_google_login_takes_over_an_unverified_registration(gql, google, make_user, login):
    squatter = make_user("gina@example.com", verified=False)
    google(profile())

    payload = social_auth(gql)

    assert payload["user"]["id"] == gql(ME, token=payload["token"])["me"]["id"]
    squatter.refresh_from_db()
    assert squatter.email_verified
    # Whoever registered the address without proving it cannot log in with that password.
    assert not squatter.check_password(DEFAULT_PASSWORD)
    assert codes(login("gina@example.com")) == ["INVALID_CREDENTIALS"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("verified", [False, None])
def test_google_login_refuses_an_email_google_did_not_verify(gql, google, make_user, verified):
    existing = make_user("gina@example.com")
    data = profile()
    if verified is None:
        del data["email_verified"]
    else:
        data["email_verified"] = verified
    google(data)

    payload = social_auth(gql)

    assert payload["__typename"] == "OperationInfo"
    assert codes(payload) == ["EMAIL_NOT_VERIFIED"]
    assert User.objects.count() == 1
    assert not UserSocialAuth.objects.exists()
    assert RefreshToken.objects.count() == 0
    existing.refresh_from_db()
    assert existing.check_password(DEFAULT_PASSWORD)


def test_google_login_refuses_a_token_google_rejects(gql, google):
    google(status=401)

    payload = social_auth(gql, "expired-token")

    assert codes(payload) == ["SOCIAL_AUTH_FAILED"]
    assert User.objects.count() == 0
    assert RefreshToken.objects.count() == 0


def test_google_login_refuses_a_deactivated_account(gql, google, make_user):
    make_user("gina@example.com", active=False)
    google(profile())

    payload = social_auth(gql)

    assert codes(payload) == ["INVALID_CREDENTIALS"]
    assert not User.objects.get().is_active
    assert RefreshToken.objects.count() == 0


def test_social_auth_refuses_unknown_providers(gql, google):
    payload = social_auth(gql, provider="facebook")

    assert codes(payload) == ["UNSUPPORTED_PROVIDER"]
    assert payload["messages"][0]["field"] == "provider"
    assert len(google.calls) == 0
    assert User.objects.count() == 0


def test_social_auth_is_throttled_per_client_ip_before_asking_the_provider(gql, google, settings):
    settings.AUTH_RATE_LIMIT = "2/m"
    answers = [social_auth(gql, f"bad-token-{n}") for n in range(3)]

    assert [codes(answer) for answer in answers] == [["SOCIAL_AUTH_FAILED"]] * 2 + [["RATE_LIMITED"]]
    assert len(google.calls) == 2, "the refused attempt never reached Google"
    assert User.objects.count() == 0
