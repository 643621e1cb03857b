"""The GraphQL documents of the payment tests."""

INITIATE = """
mutation($orderId: ID!, $method: PaymentMethod, $key: String) {
  initiatePayment(orderId: $orderId, method: $method, idempotencyKey: $key) {
    __typename
    ... on PaymentPayload {
      payment { id method status amount currency providerReference createdAt paidAt failureReason }
      nextAction { type url clientSecret data }
    }
    ... on OperationInfo { messages { kind message field code } }
  }
}
"""
CONFIRM = """
mutation($id: ID!) {
  confirmPayment(paymentId: $id) {
    __typename
    ... on PaymentPayload { payment { id status paidAt failureReason } nextAction { type } }
    ... on OperationInfo { messages { kind message field code } }
  }
}
"""
REFUND = """
mutation($id: ID!, $amount: Decimal, $reason: String) {
  refundPayment(paymentId: $id, amount: $amount, reason: $reason) {
    __typename
    ... on PaymentPayload { payment { id status amount refundedAmount } }
    ... on OperationInfo { messages { kind message field code } }
  }
}
"""
ORDER_PAYMENTS = """
query($id: ID!) {
  order(id: $id) {
    status paymentMethod
    history { fromStatus toStatus actorRole }
    payments { id method status amount currency providerReference paidAt refundedAmount }
  }
}
"""
