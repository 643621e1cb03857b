"""The GraphQL documents of the voucher and shipping tests."""

CART_FIELDS = """
    voucherCode subtotal discount shipping tax total itemCount
    shippingMethod { id name }
    lines { quantity lineTotal }
"""
CART = f"{{ cart {{ {CART_FIELDS} }} }}"
APPLY = f"""mutation($code: String!) {{ applyVoucher(code: $code) {{
  __typename
  ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
REMOVE = f"""mutation {{ removeVoucher {{
  __typename ... on CartPayload {{ cart {{ {CART_FIELDS} }} }} }} }}"""
SET_SHIPPING = f"""mutation($id: ID!) {{ setCartShippingMethod(shippingMethodId: $id) {{
  __typename
  ... on CartPayload {{ cart {{ {CART_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
AVAILABLE = """query($address: ID) { cart { availableShippingMethods(addressId: $address) { id name price } } }"""
ORDER_FIELDS = "id number status subtotal discount shipping tax total voucherCode shippingMethodName"
CHECKOUT = f"""mutation($input: CheckoutInput!) {{ checkout(input: $input) {{
  __typename
  ... on CheckoutPayload {{ order {{ {ORDER_FIELDS} }} }}
  ... on OperationInfo {{ messages {{ kind message field code }} }} }} }}"""
CANCEL = """mutation($id: ID!) { cancelOrder(orderId: $id) { __typename } }"""
