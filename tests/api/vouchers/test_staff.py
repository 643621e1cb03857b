"""Staff manage vouchers and shipping methods; nobody else may, and bad input writes nothing."""

import pytest

from commerce.models import Cart, ShippingMethod, Voucher
from tests.conftest import codes, messages
from tests.factories import gid, make_category

pytestmark = pytest.mark.django_db

VOUCHER_FIELDS = """id code kind value minSubtotal startsAt endsAt usageLimit usageLimitPerCustomer
  categories { name } timesUsed"""
CREATE_VOUCHER = f"""mutation($input: VoucherInput!) {{ createVoucher(input: $input) {{
  __typename
  ... on VoucherPayload {{ voucher {{ {VOUCHER_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
UPDATE_VOUCHER = f"""mutation($id: ID!, $input: VoucherUpdateInput!) {{ updateVoucher(id: $id, input: $input) {{
  __typename
  ... on VoucherPayload {{ voucher {{ {VOUCHER_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
DELETE_VOUCHER = """mutation($id: ID!) { deleteVoucher(id: $id) {
  __typename ... on OperationInfo { messages { code } } } }"""
VOUCHERS = f"{{ vouchers(first: 10) {{ totalCount edges {{ node {{ {VOUCHER_FIELDS} }} }} }} }}"

METHOD_FIELDS = "id name price freeAbove countries"
CREATE_METHOD = f"""mutation($input: ShippingMethodInput!) {{ createShippingMethod(input: $input) {{
  __typename
  ... on ShippingMethodPayload {{ shippingMethod {{ {METHOD_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
UPDATE_METHOD = f"""mutation($id: ID!, $input: ShippingMethodUpdateInput!) {{
  updateShippingMethod(id: $id, input: $input) {{
  __typename
  ... on ShippingMethodPayload {{ shippingMethod {{ {METHOD_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
DELETE_METHOD = """mutation($id: ID!) { deleteShippingMethod(id: $id) {
  __typename ... on OperationInfo { messages { code } } } }"""
METHODS = f"{{ shippingMethods {{ {METHOD_FIELDS} }} }}"


def test_staff_create_list_update_and_delete_a_voucher(gql, staff):
    shoes = make_category("Shoes")
    created = gql(
        CREATE_VOUCHER,
        {
            "input": {
                "code": " welcome10 ",
                "kind": "PERCENTAGE",
                "value": "10",
                "minSubtotal": "20.00",
                "endsAt": "2031-01-01T00:00:00+00:00",
                "usageLimit": 100,
                "usageLimitPerCustomer": 1,
                "categoryIds": [gid("Category", shoes.pk)],
            }
        },
        user=staff,
    )["createVoucher"]["voucher"]
    assert created == {
        "id": created["id"],
        "code": "WELCOME10",
        "kind": "PERCENTAGE",
        "value": "10.00",
        "minSubtotal": "20.00",
        "startsAt": None,
        "endsAt": "2031-01-01T00:00:00+00:00",
        "usageLimit": 100,
        "usageLimitPerCustomer": 1,
        "categories": [{"name": "Shoes"}],
        "timesUsed": 0,
    }

    listed = gql(VOUCHERS, user=staff)["vouchers"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"] == created

    # Omitted fields stay; null clears; an empty list of categories means every line.
    updated = gql(
        UPDATE_VOUCHER,
        {"id": created["id"], "input": {"kind": "FIXED", "value": "5", "endsAt": None, "categoryIds": []}},
        user=staff,
    )["updateVoucher"]["voucher"]
    assert (updated["kind"], updated["value"], updated["endsAt"], updated["categories"]) == ("FIXED", "5.00", None, [])
    assert (updated["code"], updated["minSubtotal"], updated["usageLimit"]) == ("WELCOME10", "20.00", 100)

    assert gql(DELETE_VOUCHER, {"id": created["id"]}, user=staff)["deleteVoucher"]["__typename"] == "OkPayload"
    assert not Voucher.objects.exists()
    assert codes(gql(DELETE_VOUCHER, {"id": created["id"]}, user=staff)["deleteVoucher"]) == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"value": "101"}, "value", "INVALID_INPUT"),
        ({"value": "0"}, "value", "INVALID_INPUT"),
        ({"value": "1.005"}, "value", "INVALID_INPUT"),
        ({"code": "no spaces"}, "code", "INVALID_INPUT"),
        ({"minSubtotal": "-1"}, "minSubtotal", "INVALID_INPUT"),
        ({"usageLimit": 0}, "usageLimit", "INVALID_INPUT"),
        ({"usageLimitPerCustomer": -2}, "usageLimitPerCustomer", "INVALID_INPUT"),
        (
            {"startsAt": "2030-02-01T00:00:00+00:00", "endsAt": "2030-01-01T00:00:00+00:00"},
            "endsAt",
            "INVALID_INPUT",
        ),
        ({"categoryIds": [gid("Category", 999_999)]}, "categoryIds", "NOT_FOUND"),
        ({"code": "TAKEN"}, "code", "ALREADY_EXISTS"),
    ],
)
def test_bad_voucher_input_names_its_field_and_writes_nothing(gql, staff, make_voucher, changes, field, code):
    make_voucher("TAKEN")
    payload = gql(
        CREATE_VOUCHER, {"input": {"code": "NEW", "kind": "PERCENTAGE", "value": "10", **changes}}, user=staff
    )["createVoucher"]
    assert [(m["field"], m["code"]) for m in messages(payload)] == [(field, code)]
    assert list(Voucher.objects.values_list("code", flat=True)) == ["TAKEN"]


def test_a_bad_update_changes_nothing(gql, staff, make_voucher):
    voucher = make_voucher("KEEP", value="10")
    payload = gql(
        UPDATE_VOUCHER, {"id": gid("Voucher", voucher.pk), "input": {"code": "OTHER", "value": "150"}}, user=staff
    )["updateVoucher"]
    assert codes(payload) == ["INVALID_INPUT"]
    voucher.refresh_from_db()
    assert (voucher.code, str(voucher.value)) == ("KEEP", "10.00")


def test_only_staff_manage_vouchers(gql, customer, make_voucher):
    voucher = make_voucher()
    variables = {"input": {"code": "X", "kind": "FIXED", "value": "1"}}
    assert codes(gql(CREATE_VOUCHER, variables, user=customer)["createVoucher"]) == ["PERMISSION_DENIED"]
    assert codes(gql(CREATE_VOUCHER, variables)["createVoucher"]) == ["UNAUTHENTICATED"]
    deleted = gql(DELETE_VOUCHER, {"id": gid("Voucher", voucher.pk)}, user=customer)["deleteVoucher"]
    assert codes(deleted) == ["PERMISSION_DENIED"]
    assert gql(VOUCHERS, user=customer)["vouchers"]["edges"] == []
    assert list(Voucher.objects.values_list("code", flat=True)) == ["SAVE10"]


def test_deleting_a_voucher_takes_it_off_carts(gql, staff, customer, make_voucher):
    voucher = make_voucher()
    Cart.objects.create(user=customer, voucher=voucher)
    gql(DELETE_VOUCHER, {"id": gid("Voucher", voucher.pk)}, user=staff)
    assert Cart.objects.get(user=customer).voucher is None


def test_staff_create_update_and_delete_a_shipping_method(gql, staff):
    created = gql(
        CREATE_METHOD,
        {"input": {"name": "Standard", "price": "4.90", "freeAbove": "50", "countries": ["de", "AT", "DE"]}},
        user=staff,
    )["createShippingMethod"]["shippingMethod"]
    assert created == {
        "id": created["id"],
        "name": "Standard",
        "price": "4.90",
        "freeAbove": "50.00",
        "countries": ["AT", "DE"],
    }
    updated = gql(UPDATE_METHOD, {"id": created["id"], "input": {"price": "5.90", "freeAbove": None}}, user=staff)[
        "updateShippingMethod"
    ]["shippingMethod"]
    assert (updated["price"], updated["freeAbove"], updated["countries"]) == ("5.90", None, ["AT", "DE"])
    assert gql(METHODS)["shippingMethods"] == [updated]

    assert gql(DELETE_METHOD, {"id": created["id"]}, user=staff)["deleteShippingMethod"]["__typename"] == "OkPayload"
    assert not ShippingMethod.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"price": "-1"}, "price", "INVALID_INPUT"),
        ({"freeAbove": "1.234"}, "freeAbove", "INVALID_INPUT"),
        ({"countries": ["XX"]}, "countries", "INVALID_COUNTRY"),
        ({"name": "  "}, "name", "INVALID_INPUT"),
        ({"name": "Express"}, "name", "ALREADY_EXISTS"),
    ],
)
def test_bad_shipping_method_input_names_its_field_and_writes_nothing(gql, staff, make_method, changes, field, code):
    make_method("Express")
    payload = gql(CREATE_METHOD, {"input": {"name": "Standard", "price": "4.90", **changes}}, user=staff)
    assert [(m["field"], m["code"]) for m in messages(payload["createShippingMethod"])] == [(field, code)]
    assert list(ShippingMethod.objects.values_list("name", flat=True)) == ["Express"]


def test_only_staff_manage_shipping_methods(gql, customer, make_method):
    method = make_method()
    payload = gql(UPDATE_METHOD, {"id": gid("ShippingMethod", method.pk), "input": {"price": "0"}}, user=customer)
    assert codes(payload["updateShippingMethod"]) == ["PERMISSION_DENIED"]
    assert codes(gql(CREATE_METHOD, {"input": {"name": "X", "price": "1"}})["createShippingMethod"]) == [
        "UNAUTHENTICATED"
    ]
    method.refresh_from_db()
    assert str(method.price) == "5.00"
