"""The payment GraphQL types build into a valid schema (they are registered in phase 2)."""

import strawberry

from schema.payments.types import PaymentPayload


def test_payment_types_make_a_schema_with_the_contract_fields():
    @strawberry.type
    class Query:
        @strawberry.field
        def payment(self) -> PaymentPayload | None:
            return None

    sdl = strawberry.Schema(query=Query).as_str()

    assert "enum PaymentStatus {" in sdl
    for status in ("PENDING", "AUTHORIZED", "SUCCEEDED", "FAILED", "REFUNDED", "CANCELLED"):
        assert f"  {status}\n" in sdl
    payment = sdl.split("type Payment implements Node {")[1].split("}")[0]
    for field in (
        "id: ID!",
        "method: PaymentMethod!",
        "status: PaymentStatus!",
        "amount: Decimal!",
        "currency: String!",
        "providerReference: String",
        "createdAt: DateTime!",
        "paidAt: DateTime",
    ):
        assert field in payment
    next_action = sdl.split("type NextAction {")[1].split("}")[0]
    for field in ("type: NextActionType!", "url: String", "clientSecret: String"):
        assert field in next_action


def test_next_action_of_a_payment(db, make_order, epayco_settings):
    from commerce.models import PaymentMethod
    from commerce.payments.sessions import payment_create
    from schema.payments.types import NextAction

    payment = payment_create(order=make_order(), method=PaymentMethod.EPAYCO)
    action = NextAction.from_payment(payment)

    assert action.type == "CLIENT_CHECKOUT" and action.data["invoice"] == str(payment.reference)
    payment.next_action = None
    assert NextAction.from_payment(payment) is None
