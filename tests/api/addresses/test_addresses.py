"""Addresses through GraphQL: the default rules, country codes, other users' ids, query counts."""

import pytest
from django.db import IntegrityError, transaction

from commerce.addresses.countries import COUNTRY_CODES
from commerce.models import Address
from tests.conftest import codes
from tests.factories import gid

FIELDS = "id fullName line1 line2 city region postalCode country phone isDefault"
ADDRESSES = f"{{ addresses {{ {FIELDS} }} }}"
CREATE = f"""
mutation ($input: AddressInput!) {{
  createAddress(input: $input) {{
    ... on AddressPayload {{ address {{ {FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field }} }}
  }}
}}
"""
UPDATE = f"""
mutation ($id: ID!, $input: AddressUpdateInput!) {{
  updateAddress(id: $id, input: $input) {{
    ... on AddressPayload {{ address {{ {FIELDS} }} }}
    ... on OperationInfo {{ messages {{ code field }} }}
  }}
}}
"""
DELETE = """
mutation ($id: ID!) {
  deleteAddress(id: $id) { ... on OkPayload { ok } ... on OperationInfo { messages { code } } }
}
"""
SET_DEFAULT = """
mutation ($id: ID!) {
  setDefaultAddress(id: $id) {
    ... on AddressPayload { address { id isDefault } }
    ... on OperationInfo { messages { code } }
  }
}
"""


def address_input(**overrides) -> dict:
    base = {"fullName": "Cora Smith", "line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "de"}
    return base | overrides


def create(gql, user, **overrides) -> dict:
    return gql(CREATE, {"input": address_input(**overrides)}, user=user)["createAddress"]


def defaults(user) -> list[str]:
    return list(Address.objects.filter(user=user, is_default=True).values_list("full_name", flat=True))


@pytest.mark.django_db
class TestAddresses:
    def test_first_address_becomes_default(self, gql, customer):
        first = create(gql, customer, fullName="First")["address"]
        assert first["isDefault"] is True
        assert first["country"] == "DE"
        second = create(gql, customer, fullName="Second")["address"]
        assert second["isDefault"] is False
        assert [a["fullName"] for a in gql(ADDRESSES, user=customer)["addresses"]] == ["First", "Second"]

    def test_create_as_default_and_set_default(self, gql, customer):
        create(gql, customer, fullName="First")
        second = create(gql, customer, fullName="Second", isDefault=True)["address"]
        assert defaults(customer) == ["Second"]
        first_id = gid("Address", Address.objects.get(full_name="First").pk)
        data = gql(SET_DEFAULT, {"id": first_id}, user=customer)
        assert data["setDefaultAddress"]["address"]["isDefault"] is True
        assert defaults(customer) == ["First"]
        gql(SET_DEFAULT, {"id": first_id}, user=customer)  # again: still exactly one
        assert defaults(customer) == ["First"]
        assert second["id"] != first_id

    def test_deleting_the_default_promotes_the_oldest_other(self, gql, customer):
        ids = [create(gql, customer, fullName=name)["address"]["id"] for name in ("A", "B", "C")]
        assert gql(DELETE, {"id": ids[0]}, user=customer)["deleteAddress"] == {"ok": True}
        assert defaults(customer) == ["B"]
        gql(DELETE, {"id": ids[2]}, user=customer)
        assert defaults(customer) == ["B"]
        gql(DELETE, {"id": ids[1]}, user=customer)
        assert not Address.objects.exists()

    def test_update(self, gql, customer):
        address_id = create(gql, customer)["address"]["id"]
        data = gql(
            UPDATE, {"id": address_id, "input": {"city": "Hamburg", "country": "fr", "line2": "Apt 2"}}, user=customer
        )
        address = data["updateAddress"]["address"]
        assert (address["city"], address["country"], address["line2"], address["fullName"]) == (
            "Hamburg",
            "FR",
            "Apt 2",
            "Cora Smith",
        )

    @pytest.mark.parametrize("country", ["XX", "DEU", "", "UK"])
    def test_invalid_country_is_refused(self, gql, customer, country):
        data = create(gql, customer, country=country)
        assert codes(data) == ["INVALID_COUNTRY"]
        assert data["messages"][0]["field"] == "country"
        assert not Address.objects.exists()

    def test_invalid_country_on_update_changes_nothing(self, gql, customer):
        address_id = create(gql, customer)["address"]["id"]
        data = gql(UPDATE, {"id": address_id, "input": {"country": "ZZ", "city": "Paris"}}, user=customer)
        assert codes(data["updateAddress"]) == ["INVALID_COUNTRY"]
        assert Address.objects.get().city == "Berlin"

    def test_required_fields(self, gql, customer):
        data = create(gql, customer, line1="  ")
        assert codes(data)
        assert not Address.objects.exists()

    def test_country_list(self):
        assert len(COUNTRY_CODES) == 249
        assert {"DE", "US", "GB", "CO", "PH", "AX", "SS"} <= COUNTRY_CODES
        assert "UK" not in COUNTRY_CODES

    def test_another_users_address_is_not_found_and_unchanged(self, gql, customer, make_user):
        other = make_user()
        address_id = create(gql, other, fullName="Theirs")["address"]["id"]
        create(gql, customer, fullName="Mine")
        for query, variables, name in (
            (UPDATE, {"id": address_id, "input": {"city": "X"}}, "updateAddress"),
            (DELETE, {"id": address_id}, "deleteAddress"),
            (SET_DEFAULT, {"id": address_id}, "setDefaultAddress"),
        ):
            assert codes(gql(query, variables, user=customer)[name]) == ["NOT_FOUND"]
        theirs = Address.objects.get(full_name="Theirs")
        assert (theirs.city, theirs.is_default) == ("Berlin", True)
        assert defaults(customer) == ["Mine"]
        assert [a["fullName"] for a in gql(ADDRESSES, user=customer)["addresses"]] == ["Mine"]

    def test_anonymous(self, gql):
        assert gql(ADDRESSES) == {"addresses": []}
        assert codes(gql(CREATE, {"input": address_input()})["createAddress"]) == ["UNAUTHENTICATED"]
        assert not Address.objects.exists()

    def test_database_allows_one_default_per_user(self, customer):
        Address.objects.create(user=customer, full_name="a", line1="x", city="y", country="DE", is_default=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            Address.objects.create(user=customer, full_name="b", line1="x", city="y", country="DE", is_default=True)

    @pytest.mark.parametrize("size", [2, 40])
    def test_query_count(self, gql, customer, django_assert_num_queries, size):
        Address.objects.bulk_create(
            Address(user=customer, full_name=f"n{i}", line1="x", city="y", country="DE", is_default=i == 0)
            for i in range(size)
        )
        with django_assert_num_queries(3):  # token (2) + addresses
            data = gql(ADDRESSES, user=customer)
        assert len(data["addresses"]) == size
