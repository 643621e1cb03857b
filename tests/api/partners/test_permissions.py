"""The hooks the order and catalog code use to admit partner apps:
`Allowed(<policy rule>)` over the rules built on `Principal.may(scope)`, and `Principal.actor`."""

import pytest
import strawberry
import strawberry_django
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.principal import Principal
from commerce.order_visibility import may_read_all_orders
from commerce.orders.policy import may_manage_orders
from partners import services
from partners.models import App, AppScope
from schema.accounts.types import OkPayload, OkResult
from schema.context import Context, Info
from schema.errors import mutation
from schema.permissions import Allowed
from tests.conftest import codes

recorded: list = []


@strawberry.type
class Query:
    @strawberry_django.field(extensions=[Allowed(may_read_all_orders)])
    def every_order(self) -> str | None:
        return "all orders"

    @strawberry_django.field
    def may_write(self, info: Info) -> bool:
        return info.context.principal.may(AppScope.ORDERS_WRITE)


@strawberry.type
class Mutation:
    @mutation(description="A stand-in for updateOrderStatus.", permissions=(Allowed(may_manage_orders),))
    def move_order(self, info: Info) -> OkResult:
        recorded.append(info.context.principal.actor)
        return OkPayload()


test_schema = strawberry.Schema(query=Query, mutation=Mutation)
DOCUMENT_QUERY = "{ everyOrder mayWrite }"
DOCUMENT_MUTATION = "mutation { moveOrder { __typename ... on OperationInfo { messages { code } } } }"


def run(document: str, *, user=None, app: App | None = None) -> dict:
    request = RequestFactory().post("/graphql/")
    request.user = user or AnonymousUser()
    context = Context(request=request, response=HttpResponse(), user=request.user, app=app)
    outcome = test_schema.execute_sync(document, context_value=context)
    assert outcome.errors is None, outcome.errors
    return outcome.data


@pytest.fixture(autouse=True)
def _clear_recorded():
    recorded.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("caller", "sees_orders", "may_write", "mutation_codes"),
    [
        ("anonymous", False, False, ["UNAUTHENTICATED"]),
        ("customer", False, False, ["PERMISSION_DENIED"]),
        ("staff", True, True, []),
        ("reader_app", True, False, ["PERMISSION_DENIED"]),
        ("writer_app", False, True, []),
        ("inactive_app", False, False, ["PERMISSION_DENIED"]),
    ],
)
def test_who_passes(customer, staff, caller, sees_orders, may_write, mutation_codes):
    reader, _ = services.app_create(principal=Principal.system(), name="reader", scopes=[AppScope.ORDERS_READ])
    writer, _ = services.app_create(principal=Principal.system(), name="writer", scopes=[AppScope.ORDERS_WRITE])
    inactive, _ = services.app_create(principal=Principal.system(), name="inactive", scopes=list(AppScope.values))
    inactive = services.app_update(principal=Principal.system(), app_id=inactive.pk, is_active=False)
    auth = {
        "anonymous": {},
        "customer": {"user": customer},
        "staff": {"user": staff},
        "reader_app": {"app": reader},
        "writer_app": {"app": writer},
        "inactive_app": {"app": inactive},
    }[caller]
    data = run(DOCUMENT_QUERY, **auth)
    assert data == {"everyOrder": "all orders" if sees_orders else None, "mayWrite": may_write}
    payload = run(DOCUMENT_MUTATION, **auth)["moveOrder"]
    assert codes(payload) == mutation_codes
    expected_actor = {"staff": staff, "writer_app": writer}.get(caller)
    assert recorded == ([expected_actor] if expected_actor else [])


@pytest.mark.django_db
def test_user_only_operations_refuse_apps_as_permission_denied(app_gql):
    _, token = services.app_create(principal=Principal.system(), name="reader", scopes=list(AppScope.values))
    query = 'mutation { updateProfile(input: {firstName: "X"}) { ... on OperationInfo { messages { code } } } }'
    assert codes(app_gql(query, token=token)["updateProfile"]) == ["PERMISSION_DENIED"]


@pytest.mark.django_db
def test_a_refused_app_is_told_which_scope_it_lacks(app_gql):
    _, token = services.app_create(principal=Principal.system(), name="reader", scopes=[AppScope.ORDERS_READ])
    category = (
        'mutation { createCategory(input: {name: "Tea"}) { ... on OperationInfo { messages { code message } } } }'
    )
    vouchers = "{ vouchers { totalCount } }"
    assert app_gql(category, token=token)["createCategory"]["messages"] == [
        {"code": "PERMISSION_DENIED", "message": "This app lacks the catalog:write scope."}
    ]
    assert app_gql(vouchers, token=token)["vouchers"] == {"totalCount": 0}
    apps = 'mutation { createApp(input: {name: "x", scopes: []}) { ... on OperationInfo { messages { message } } } }'
    assert app_gql(apps, token=token)["createApp"]["messages"] == [{"message": "Partner apps may not do this."}]
