"""The GraphQL documents the benchmark sends, and the baseline path of each.

A baseline view receives the same JSON body (`{"query", "variables"}`) at
`/bench/<name>/` and answers the same JSON as the GraphQL response.
"""

PRODUCT_LIST = """query ProductList($first: Int!) {
  products(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name slug price currency inStock category { id name slug } images { url alt } } }
  }
}"""

PRODUCT_DETAIL = """query ProductDetail($slug: String!) {
  product(slug: $slug) {
    id name slug description price currency stockQuantity inStock createdAt
    category { id name slug }
    images { url alt }
  }
}"""

CART = """query Cart {
  cart {
    id itemCount subtotal tax total currency
    lines { id quantity unitPrice lineTotal product { id name slug price images { url alt } } }
  }
}"""

ORDERS = """query Orders($first: Int!) {
  orders(first: $first) {
    totalCount
    edges { node { id number status subtotal tax total currency createdAt
      lines { productName unitPrice quantity lineTotal } } }
  }
}"""

CHECKOUT = """mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    __typename
    ... on CheckoutPayload { order { id number status total currency lines { productName quantity lineTotal } } }
    ... on OperationInfo { messages { code message } }
  }
}"""

ADD_TO_CART = """mutation AddToCart($productId: ID!, $quantity: Int!) {
  addToCart(productId: $productId, quantity: $quantity) { __typename ... on OperationInfo { messages { code } } }
}"""

UPDATE_ORDER_STATUS = """mutation UpdateOrderStatus($orderId: ID!, $status: OrderStatus!) {
  updateOrderStatus(orderId: $orderId, status: $status) {
    __typename
    ... on OrderPayload { order { status } }
    ... on OperationInfo { messages { code } }
  }
}"""

ORDER_STATUS_CHANGED = """subscription {
  orderStatusChanged { fromStatus toStatus changedAt order { id number status } }
}"""

# name -> (document, baseline path). The bare SQL app (bench/bare_sql.py) serves the
# baseline's paths; `_user` reads send a customer's token, which no answer cache serves.
READS = {
    "product_list": (PRODUCT_LIST, "/bench/products/"),
    "product_detail": (PRODUCT_DETAIL, "/bench/product/"),
    "product_list_user": (PRODUCT_LIST, "/bench/products/"),
    "product_detail_user": (PRODUCT_DETAIL, "/bench/product/"),
    "cart": (CART, "/bench/cart/"),
    "orders": (ORDERS, "/bench/orders/"),
}
CHECKOUT_BASELINE_PATH = "/bench/checkout/"
