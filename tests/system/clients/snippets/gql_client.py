from gql import Client, gql
from gql.transport.requests import RequestsHTTPTransport


def make_gql_client(http_url: str, token: str | None = None) -> Client:
    headers = {"Authorization": f"JWT {token}"} if token else {}
    transport = RequestsHTTPTransport(url=http_url, headers=headers)
    return Client(transport=transport)


def product_names(client: Client) -> list[str]:
    query = gql("query Products { products(first: 10) { edges { node { name price } } } }")
    result = client.execute(query)
    return [edge["node"]["name"] for edge in result["products"]["edges"]]
