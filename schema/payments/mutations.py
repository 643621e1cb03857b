from decimal import Decimal

import strawberry
from strawberry import relay

from commerce.payments import policy as payments_policy
from commerce.payments import selectors
from commerce.settlement import services
from infra.errors import NotFound
from schema.context import Info
from schema.enums import PaymentMethod
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed, IsCustomerOrGuest

from .types import NextAction, PaymentPayload, PaymentResult


def _visible_payment(info: Info, payment_id: relay.GlobalID):
    payment = selectors.payment_visible(principal=info.context.principal, payment_id=node_pk(payment_id, "Payment"))
    if payment is None:
        raise NotFound("No payment with this id.", field="paymentId")
    return payment


def _payload(payment) -> PaymentPayload:
    return PaymentPayload(payment=payment, next_action=NextAction.from_payment(payment))


@strawberry.type
class PaymentMutations:
    @mutation(
        description="Start paying your order (PENDING, or CONFIRMED after a failed attempt) with `method` "
        "(default: the one chosen at checkout). The order becomes CONFIRMED; `nextAction` says what the buyer "
        "does next. The same `idempotencyKey` returns the same payment without asking the provider again. "
        "PAYMENT_IN_PROGRESS while another attempt is open, ORDER_NOT_PAYABLE once paid or cancelled. "
        "A guest pays the orders of their cart with its `X-Cart-Token`.",
        permissions=(IsCustomerOrGuest(),),
    )
    def initiate_payment(
        self,
        info: Info,
        order_id: relay.GlobalID,
        method: PaymentMethod | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentResult:
        payment = services.payment_initiate(
            actor=info.context.cart_owner(),
            order_id=node_pk(order_id, "Order"),
            method=method.value if method else None,
            idempotency_key=idempotency_key,
        )
        return _payload(payment)

    @mutation(
        description="Ask the provider where a payment stands and settle it: the fallback when its webhook is "
        "late (PayPal: captures the approved order; DUMMY: settles here). The order becomes PAID once. "
        "A guest confirms with their `X-Cart-Token`.",
        permissions=(IsCustomerOrGuest(),),
    )
    def confirm_payment(self, info: Info, payment_id: relay.GlobalID) -> PaymentResult:
        return _payload(services.payment_confirm(payment=_visible_payment(info, payment_id)))

    @mutation(
        description="Refund a settled payment through its provider (staff): `amount`, default all that is left; "
        "never more than was captured (INVALID_REFUND_AMOUNT). A full refund of a PAID order cancels it and "
        "puts its stock back.",
        permissions=(Allowed(payments_policy.may_refund_payments),),
    )
    def refund_payment(
        self, info: Info, payment_id: relay.GlobalID, amount: Decimal | None = None, reason: str | None = None
    ) -> PaymentResult:
        payment = _visible_payment(info, payment_id)
        services.payment_refund(principal=info.context.principal, payment=payment, amount=amount, reason=reason or "")
        payment.refresh_from_db()
        return _payload(payment)
