"""Staff manage partner apps through GraphQL; apps authenticate with their token."""

import hashlib

import pytest

from partners.models import App, AppScope
from tests.conftest import codes
from tests.factories import gid

CREATE = """
mutation($input: CreateAppInput!) {
  createApp(input: $input) {
    ... on AppTokenPayload { token app { id name isActive scopes tokenPrefix createdBy { email } } }
    ... on OperationInfo { messages { code field message } }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateAppInput!) {
  updateApp(id: $id, input: $input) {
    ... on AppPayload { app { id name isActive scopes } }
    ... on OperationInfo { messages { code field message } }
  }
}"""
ROTATE = """
mutation($id: ID!) {
  rotateAppToken(id: $id) {
    ... on AppTokenPayload { token app { id tokenPrefix } }
    ... on OperationInfo { messages { code } }
  }
}"""
DELETE = """
mutation($id: ID!) {
  deleteApp(id: $id) { ... on OkPayload { ok } ... on OperationInfo { messages { code } } }
}"""
APPS = "{ apps(first: 10) { totalCount edges { node { name scopes isActive } } } }"
CURRENT_APP = "{ currentApp { name scopes isActive createdBy { email } } me { email } }"


@pytest.mark.django_db
def test_staff_creates_an_app_whose_token_is_shown_once_and_stored_hashed(gql, staff):
    data = gql(CREATE, {"input": {"name": "Fulfilment", "scopes": ["ORDERS_READ", "ORDERS_WRITE"]}}, user=staff)
    payload = data["createApp"]
    token = payload["token"]
    assert token.startswith("fmapp_") and len(token) > 40
    assert payload["app"] | {"id": None} == {
        "id": None,
        "name": "Fulfilment",
        "isActive": True,
        "scopes": ["ORDERS_READ", "ORDERS_WRITE"],
        "tokenPrefix": token[:10],
        "createdBy": {"email": staff.email},
    }
    app = App.objects.get()
    assert app.scopes == ["orders:read", "orders:write"]
    assert app.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(App.objects.values().get())
    listed = gql(APPS, user=staff)["apps"]
    assert listed["totalCount"] == 1
    assert token not in str(listed)


@pytest.mark.django_db
def test_app_name_is_required(gql, staff):
    payload = gql(CREATE, {"input": {"name": "  ", "scopes": []}}, user=staff)["createApp"]
    assert codes(payload) == ["INVALID_NAME"]
    assert not App.objects.exists()


@pytest.mark.django_db
def test_an_app_calls_with_its_token(app_gql, make_app):
    _, token = make_app("Analytics", scopes=(AppScope.ORDERS_READ,))
    data = app_gql(CURRENT_APP, token=token)
    # An app is not a user: `me` is null, and the staff-only creator is hidden.
    assert data == {
        "currentApp": {"name": "Analytics", "scopes": ["ORDERS_READ"], "isActive": True, "createdBy": None},
        "me": None,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["App fmapp_not-a-real-token", "App ", "App wrongprefix"])
def test_an_unknown_app_token_is_anonymous(gql, make_app, header):
    make_app()
    assert gql(CURRENT_APP, headers={"Authorization": header}) == {"currentApp": None, "me": None}


@pytest.mark.django_db
def test_an_app_cannot_use_staff_operations(app_gql, make_app):
    app, token = make_app(scopes=tuple(AppScope.values))
    payload = app_gql(CREATE, {"input": {"name": "Sneaky", "scopes": ["ORDERS_READ"]}}, token=token)["createApp"]
    assert codes(payload) == ["PERMISSION_DENIED"]
    payload = app_gql(UPDATE, {"id": gid("App", app.pk), "input": {"name": "Renamed"}}, token=token)["updateApp"]
    assert codes(payload) == ["PERMISSION_DENIED"]
    assert app_gql(APPS, token=token) == {"apps": {"totalCount": 0, "edges": []}}
    assert list(App.objects.values_list("name", flat=True)) == ["Fulfilment"]


@pytest.mark.django_db
def test_rotating_the_token_kills_the_old_one_at_once(gql, app_gql, make_app, staff):
    app, old_token = make_app()
    payload = gql(ROTATE, {"id": gid("App", app.pk)}, user=staff)["rotateAppToken"]
    new_token = payload["token"]
    assert new_token != old_token
    assert payload["app"]["tokenPrefix"] == new_token[:10]
    assert app_gql(CURRENT_APP, token=old_token)["currentApp"] is None
    assert app_gql(CURRENT_APP, token=new_token)["currentApp"]["name"] == "Fulfilment"


@pytest.mark.django_db
def test_a_deactivated_app_stops_working_at_once_and_can_come_back(gql, app_gql, make_app, staff):
    app, token = make_app()
    payload = gql(UPDATE, {"id": gid("App", app.pk), "input": {"isActive": False}}, user=staff)["updateApp"]
    assert payload["app"]["isActive"] is False
    assert app_gql(CURRENT_APP, token=token)["currentApp"] is None
    gql(UPDATE, {"id": gid("App", app.pk), "input": {"isActive": True}}, user=staff)
    assert app_gql(CURRENT_APP, token=token)["currentApp"]["name"] == "Fulfilment"


@pytest.mark.django_db
def test_staff_change_name_and_scopes(gql, make_app, staff):
    app, _ = make_app()
    payload = gql(
        UPDATE, {"id": gid("App", app.pk), "input": {"name": "Shipping", "scopes": ["CATALOG_WRITE"]}}, user=staff
    )
    assert payload["updateApp"]["app"] | {"id": None} == {
        "id": None,
        "name": "Shipping",
        "isActive": True,
        "scopes": ["CATALOG_WRITE"],
    }
    app.refresh_from_db()
    assert app.scopes == ["catalog:write"]


@pytest.mark.django_db
def test_delete_app(gql, app_gql, make_app, staff):
    app, token = make_app()
    assert gql(DELETE, {"id": gid("App", app.pk)}, user=staff)["deleteApp"] == {"ok": True}
    assert not App.objects.exists()
    assert app_gql(CURRENT_APP, token=token)["currentApp"] is None
    assert codes(gql(DELETE, {"id": gid("App", app.pk)}, user=staff)["deleteApp"]) == ["NOT_FOUND"]


@pytest.mark.django_db
def test_an_id_of_another_type_is_not_found(gql, make_app, staff):
    app, _ = make_app()
    wrong = gid("User", app.pk)
    assert codes(gql(ROTATE, {"id": wrong}, user=staff)["rotateAppToken"]) == ["NOT_FOUND"]
    assert App.objects.get().token_rotated_at is None
