"""Deny by default: every operation of the schema, walked automatically.

A mutation or query field is either on an explicit public list, or carries a
permission extension. Anonymous callers are refused every protected mutation
with UNAUTHENTICATED, customers every staff mutation with PERMISSION_DENIED,
and no refusal changes a single row. New operations are covered the moment
they are added to the schema.
"""

import json

import pytest
from django.apps import apps

from accounts.models import User
from accounts.principal import Principal, PrincipalKind
from schema import permissions
from tests.api.walk import call, fields, root_fields
from tests.conftest import access_token

PUBLIC_MUTATIONS = {
    "register",
    "verifyEmail",
    "resendVerificationEmail",
    "tokenAuth",
    "refreshToken",
    "verifyToken",
    "revokeToken",
    "socialAuth",
    "requestPasswordReset",
    "resetPassword",
    # Throttled; it only opens an empty guest cart (tests/api/cart/test_guest_checkout.py).
    "createGuestCart",
}
# shippingMethods: storefront data (names and prices), as the catalog is.
PUBLIC_QUERIES = {"categories", "category", "products", "product", "shippingMethods"}
# Unprotected, but answer only about the caller: null for anonymous callers.
# orderEvents: scoped by the order selectors; an app without orders:read is refused
# (tests/api/orders/test_event_stream.py).
CALLER_SCOPED_QUERIES = {"me", "order", "latestOrder", "currentApp", "orderEvents"}
# The subscriptions check the caller themselves at subscribe time (tests/api/orders/test_subscriptions.py,
# test_event_stream.py, test_fulfilment_subscription.py, tests/api/payments/test_payment_events.py).
CALLER_SCOPED_SUBSCRIPTIONS = {"orderStatusChanged", "paymentStatusChanged", "orderFulfilled"}
# Availability is storefront data (tests/api/orders/test_availability_events.py).
PUBLIC_SUBSCRIPTIONS = {"productAvailabilityChanged"}

# An `Allowed(rule)` whose rule refuses a customer guards a staff operation.
A_CUSTOMER = Principal(PrincipalKind.CUSTOMER, user=User(email="someone@example.com"))


def _permission_kinds(field) -> set[str]:
    kinds = set()
    for extension in field.extensions:
        if isinstance(extension, permissions.Allowed):
            kinds.add("user" if extension.rule(A_CUSTOMER) else "staff")
        elif isinstance(extension, permissions.IsAuthenticated):
            kinds.add("user")
    return kinds


def _mutation_document(name: str) -> str:
    operation = call(name, root_fields("mutation")[name].args)
    return f"mutation {{ {operation} {{ __typename ... on OperationInfo {{ messages {{ code }} }} }} }}"


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _post(client, document: str, headers: dict) -> dict:
    response = client.post(
        "/graphql/", data=json.dumps({"query": document}), content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert not body.get("errors"), (document, body["errors"])
    return body["data"]


MUTATIONS = fields("Mutation")
QUERIES = fields("Query")


def test_every_operation_is_public_on_purpose_or_protected():
    unprotected_mutations = {name for name, f in MUTATIONS.items() if not _permission_kinds(f)}
    assert unprotected_mutations == PUBLIC_MUTATIONS, "a new mutation needs a permission extension"
    unprotected_queries = {name for name, f in QUERIES.items() if not _permission_kinds(f)}
    assert unprotected_queries == PUBLIC_QUERIES | CALLER_SCOPED_QUERIES, "a new query field needs a permission"
    assert set(fields("Subscription")) == CALLER_SCOPED_SUBSCRIPTIONS | PUBLIC_SUBSCRIPTIONS


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(MUTATIONS) - PUBLIC_MUTATIONS))
def test_anonymous_callers_are_refused_every_protected_mutation(client, name, customer, staff):
    before = _row_counts()
    result = _post(client, _mutation_document(name), {})[name]
    assert result["__typename"] == "OperationInfo"
    assert [m["code"] for m in result["messages"]] == ["UNAUTHENTICATED"]
    assert _row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, f in MUTATIONS.items() if "staff" in _permission_kinds(f)))
def test_customers_are_refused_every_staff_mutation(client, name, customer, staff):
    headers = {"Authorization": f"JWT {access_token(customer)}"}
    before = _row_counts()
    result = _post(client, _mutation_document(name), headers)[name]
    assert result["__typename"] == "OperationInfo"
    assert [m["code"] for m in result["messages"]] == ["PERMISSION_DENIED"]
    assert _row_counts() == before


def _query_document(name: str) -> str:
    return f"{{ {call(name, root_fields('query')[name].args)} {{ __typename }} }}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(QUERIES) - PUBLIC_QUERIES))
def test_anonymous_callers_get_nothing_from_private_queries(client, name, customer, staff):
    data = _post(client, _query_document(name), {})[name]
    if isinstance(data, dict):  # a connection: it must be empty
        assert data["__typename"].endswith("Connection")
        full = _post(client, f"{{ {name} {{ totalCount edges {{ node {{ __typename }} }} }} }}", {})[name]
        assert full == {"totalCount": 0, "edges": []}
    else:
        assert data in (None, [])


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, f in QUERIES.items() if "staff" in _permission_kinds(f)))
def test_customers_get_nothing_from_staff_queries(client, name, customer, staff, make_user):
    make_user("someone@example.com")
    headers = {"Authorization": f"JWT {access_token(customer)}"}
    full = _post(client, f"{{ {name} {{ totalCount edges {{ node {{ __typename }} }} }} }}", headers)[name]
    assert full == {"totalCount": 0, "edges": []}
