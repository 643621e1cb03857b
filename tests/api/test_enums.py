"""The schema's enums are the models' choices: one list of values, never restated."""

import pytest

from commerce.models import OrderStatus, PaymentMethod, PaymentStatus
from schema import schema

ENUM_VALUES = """query ($name: String!) { __type(name: $name) { enumValues { name } } }"""


@pytest.mark.django_db
@pytest.mark.parametrize("choices", [OrderStatus, PaymentMethod, PaymentStatus])
def test_graphql_enum_values_are_the_model_choices(gql, choices):
    body = gql(ENUM_VALUES, {"name": choices.__name__})

    assert [value["name"] for value in body["__type"]["enumValues"]] == list(choices.values)
    # Derived, not restated: the schema's enum wraps the model's choices class itself.
    assert schema.get_type_by_name(choices.__name__).wrapped_cls is choices
