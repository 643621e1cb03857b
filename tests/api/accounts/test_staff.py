"""Staff operations on accounts: the `users` connection and `setUserActive`."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.accounts.operations import ME, REFRESH, SET_USER_ACTIVE, USERS
from tests.conftest import access_token, codes
from tests.factories import gid

pytestmark = pytest.mark.django_db


def emails(connection: dict) -> list[str]:
    return [edge["node"]["email"] for edge in connection["edges"]]


def test_staff_list_users_with_filters(gql, staff, customer, make_user):
    make_user("inactive@example.com", active=False)
    make_user("other.staff@example.com", staff=True)

    everyone = gql(USERS, user=staff)["users"]
    by_email = gql(USERS, {"filters": {"email": "CUSTOMER"}}, user=staff)["users"]
    inactive = gql(USERS, {"filters": {"isActive": False}}, user=staff)["users"]
    staff_only = gql(USERS, {"filters": {"isStaff": True}}, user=staff)["users"]

    assert everyone["totalCount"] == 4
    assert emails(by_email) == ["customer@example.com"]
    assert emails(inactive) == ["inactive@example.com"]
    assert sorted(emails(staff_only)) == ["other.staff@example.com", "staff@example.com"]
    node = by_email["edges"][0]["node"]
    assert node == {"id": gid("User", customer.pk), "email": "customer@example.com", "isActive": True, "isStaff": False}


def test_users_pages_with_a_constant_number_of_queries(gql, staff, make_user, django_assert_num_queries):
    for _ in range(40):
        make_user()

    with CaptureQueriesContext(connection) as small:
        assert len(gql(USERS, {"first": 2}, user=staff)["users"]["edges"]) == 2
    with django_assert_num_queries(len(small)):
        assert len(gql(USERS, {"first": 40}, user=staff)["users"]["edges"]) == 40


def test_users_is_empty_for_customers_and_anonymous(gql, customer, staff):
    for kwargs in ({"user": customer}, {}):
        users = gql(USERS, **kwargs)["users"]
        assert users["edges"] == []
        assert users["totalCount"] == 0


def test_staff_deactivates_a_customer_whose_tokens_die(gql, staff, customer, login):
    session = login("customer@example.com")

    payload = gql(SET_USER_ACTIVE, {"userId": gid("User", customer.pk), "active": False}, user=staff)["setUserActive"]

    assert payload == {
        "__typename": "UserPayload",
        "user": {"id": gid("User", customer.pk), "email": customer.email, "isActive": False},
    }
    customer.refresh_from_db()
    assert not customer.is_active
    assert gql.error_codes(ME, token=session["token"]) == ["INVALID_TOKEN"]
    assert codes(gql(REFRESH, {"refreshToken": session["refreshToken"]})["refreshToken"]) == ["INVALID_TOKEN"]
    assert codes(login("customer@example.com")) == ["INVALID_CREDENTIALS"]

    # Switched on again, the account logs in anew; the old tokens stay dead.
    again = gql(SET_USER_ACTIVE, {"userId": gid("User", customer.pk), "active": True}, user=staff)["setUserActive"]
    assert again["user"]["isActive"] is True
    assert login("customer@example.com")["__typename"] == "TokenPayload"
    assert gql.error_codes(ME, token=session["token"]) == ["INVALID_TOKEN"]


def test_staff_cannot_change_a_staff_account(gql, staff, make_user):
    colleague = make_user("colleague@example.com", staff=True)
    boss = make_user("boss@example.com", superuser=True)

    for target in (colleague, boss):
        payload = gql(SET_USER_ACTIVE, {"userId": gid("User", target.pk), "active": False}, user=staff)["setUserActive"]
        assert payload["__typename"] == "OperationInfo"
        assert codes(payload) == ["PERMISSION_DENIED"]
        target.refresh_from_db()
        assert target.is_active
    assert gql(ME, user=colleague)["me"]["isActive"] is True


def test_superuser_may_change_a_staff_account(gql, superuser, staff, login):
    session = login("staff@example.com")

    payload = gql(SET_USER_ACTIVE, {"userId": gid("User", staff.pk), "active": False}, user=superuser)["setUserActive"]

    assert payload["user"]["isActive"] is False
    staff.refresh_from_db()
    assert not staff.is_active
    assert gql.error_codes(ME, token=session["token"]) == ["INVALID_TOKEN"]


def test_nobody_deactivates_their_own_account_here(gql, superuser):
    payload = gql(SET_USER_ACTIVE, {"userId": gid("User", superuser.pk), "active": False}, user=superuser)[
        "setUserActive"
    ]

    assert codes(payload) == ["PERMISSION_DENIED"]
    superuser.refresh_from_db()
    assert superuser.is_active


def test_set_user_active_refuses_customers_and_anonymous(gql, customer, make_user):
    target = make_user("target@example.com")

    as_customer = gql(SET_USER_ACTIVE, {"userId": gid("User", target.pk), "active": False}, user=customer)[
        "setUserActive"
    ]
    anonymous = gql(SET_USER_ACTIVE, {"userId": gid("User", target.pk), "active": False})["setUserActive"]

    assert codes(as_customer) == ["PERMISSION_DENIED"]
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    target.refresh_from_db()
    assert target.is_active


def test_set_user_active_on_unknown_ids(gql, staff, customer):
    missing = gid("User", 999999)
    wrong_type = gid("Product", customer.pk)

    for user_id in (missing, wrong_type):
        payload = gql(SET_USER_ACTIVE, {"userId": user_id, "active": False}, user=staff)["setUserActive"]
        assert codes(payload) == ["NOT_FOUND"], user_id
    customer.refresh_from_db()
    assert customer.is_active


def test_set_user_active_with_a_malformed_id_is_a_request_error(client, staff, customer):
    response = client.post(
        "/graphql/",
        {"query": SET_USER_ACTIVE, "variables": {"userId": "not-a-global-id", "active": False}},
        content_type="application/json",
        headers={"Authorization": f"JWT {access_token(staff)}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert "GlobalID" in body["errors"][0]["message"]
    customer.refresh_from_db()
    assert customer.is_active
