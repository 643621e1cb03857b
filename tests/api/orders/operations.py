"""The GraphQL documents of the order tests."""

ORDER_FIELDS = """
    id number status subtotal tax total currency paymentMethod note createdAt
    user { email }
    lines { productName unitPrice quantity lineTotal }
    shippingAddress { fullName city country }
    history { fromStatus toStatus note actorRole actor { email } }
    availableTransitions
"""
CHECKOUT = f"""
mutation($input: CheckoutInput!) {{
  checkout(input: $input) {{
    __typename
    ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""
CANCEL = f"""
mutation($id: ID!, $reason: String) {{
  cancelOrder(orderId: $id, reason: $reason) {{
    __typename
    ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""
UPDATE_STATUS = f"""
mutation($id: ID!, $status: OrderStatus!, $note: String) {{
  updateOrderStatus(orderId: $id, status: $status, note: $note) {{
    __typename
    ... on OrderPayload {{ order {{ {ORDER_FIELDS} }} }}
    ... on OperationInfo {{ messages {{ kind message field code }} }}
  }}
}}
"""
ORDER = f"query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
LATEST = f"query {{ latestOrder {{ {ORDER_FIELDS} }} }}"
