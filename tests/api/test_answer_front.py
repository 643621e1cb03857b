"""Anonymous catalog answers served as bytes in front of Django (schema/front_cache.py),
through real servers on PostgreSQL and Redis: the same bytes and headers as Django's
own answer, a catalog write seen at once, credentials never answered from it, and
every hit still logged and counted."""

import hashlib
import time

import redis
import requests
from django.conf import settings

from accounts.principal import Principal
from partners.models import AppScope
from partners.services import app_create
from tests.factories import gid, make_category, make_product
from tests.processes import process_env, running_server
from tests.system.test_observability import metric_samples, process_token, real_processes, total

ORIGIN = "https://shop.example"
PRICES = "query Prices { products(first: 10) { edges { node { slug price } } } }"
UPDATE_PRODUCT = """mutation ($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { ... on ProductPayload { product { price } } }
}"""
# Set by the server per response, never part of the answer.
PER_RESPONSE = {"date", "x-request-id"}


def execution_cache_forget() -> None:
    """Drop the answers cached inside GraphQL execution (response_cache.py), keeping the front's:
    what is then answered without SQL was answered before Django ran."""
    client = redis.Redis.from_url(process_env()["REDIS_URL"])
    for key in client.scan_iter(match="*gql:catalog:*"):
        client.delete(key)


def access_line(server, request_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in server.access_lines() if line.get("request_id") == request_id]
        if lines:
            return lines[0]
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {request_id}:\n{server.output()}")


def answer_of(response: requests.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {name.lower(): value for name, value in response.headers.items() if name.lower() not in PER_RESPONSE}
    return response.status_code, response.content, headers


@real_processes
def test_a_front_hit_is_django_answer_byte_for_byte_and_is_logged_and_counted():
    make_product(slug="lamp", price="10.00")
    with running_server(CORS_ALLOWED_ORIGINS=ORIGIN, METRICS_TOKEN="scrape-token") as server:

        def post(request_id: str) -> requests.Response:
            headers = {"Origin": ORIGIN, "X-Request-ID": request_id}
            return requests.post(f"{server.url}/graphql/", json={"query": PRICES}, headers=headers, timeout=30)

        computed = post("post-1")  # mints the catalog version token
        post("post-2")  # stored by the front under that token
        execution_cache_forget()
        served = post("post-3")
        assert served.headers["X-Request-ID"] == "post-3"
        assert answer_of(served) == answer_of(computed)
        assert served.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert served.json() == {"data": {"products": {"edges": [{"node": {"slug": "lamp", "price": "10.00"}}]}}}

        line = access_line(server, "post-3")
        assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql/", 200)
        assert (line["operation_name"], line["operation_type"], line["sql_queries"]) == ("Prices", "query", 0)
        assert line["user_id"] is None and line["app_id"] is None and line["error_code"] is None
        assert line["client_ip"] == "127.0.0.1" and line["duration_ms"] >= 0

        # A persisted query over GET: its Cache-Control and Vary come back from the front too.
        digest = hashlib.sha256(PRICES.encode()).hexdigest()
        extensions = f'{{"persistedQuery":{{"version":1,"sha256Hash":"{digest}"}}}}'
        url = f"{server.url}/graphql/"

        def get(request_id: str) -> requests.Response:
            params = {"extensions": extensions, "operationName": "Prices"}
            # (Without an Accept naming JSON, a GET with no `query` asks for GraphiQL.)
            headers = {"Origin": ORIGIN, "X-Request-ID": request_id, "Accept": "application/json"}
            return requests.get(url, params=params, headers=headers, timeout=30)

        requests.post(
            url, json={"query": PRICES, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
        )
        computed = get("get-1")
        assert computed.headers["Cache-Control"] == f"public, max-age={settings.GRAPHQL_GET_MAX_AGE}"
        execution_cache_forget()
        served = get("get-2")
        assert answer_of(served) == answer_of(computed)
        assert access_line(server, "get-2")["sql_queries"] == 0

        scraped = requests.get(f"{server.url}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=30)
    samples = metric_samples(scraped.text)
    assert total(samples, "fmcore_http_requests_total", method="POST", status="200") >= 4
    assert total(samples, "fmcore_graphql_operations_total", name="Prices", outcome="success") == 6
    assert total(samples, "fmcore_graphql_operation_duration_seconds_count", name="Prices") == 6
    assert total(samples, "fmcore_answer_cache_total", result="hit") >= 2
    assert total(samples, "fmcore_http_request_sql_queries_count") >= 6


@real_processes
def test_a_catalog_write_and_credentials_bypass_the_front(staff):
    category = make_category()
    lamp = make_product(slug="lamp", price="10.00", category=category)
    make_product(slug="withdrawn", category=category, active=False)
    with running_server() as server:
        url = f"{server.url}/graphql/"

        def slugs_and_prices(response: requests.Response) -> dict[str, str]:
            assert response.status_code == 200, response.text
            return {
                edge["node"]["slug"]: edge["node"]["price"] for edge in response.json()["data"]["products"]["edges"]
            }

        for _ in range(3):  # computed, stored, served by the front
            assert slugs_and_prices(requests.post(url, json={"query": PRICES}, timeout=30)) == {"lamp": "10.00"}

        staff_token = process_token(staff)
        as_staff = {"Authorization": f"JWT {staff_token}", "X-Request-ID": "staff-1"}
        seen = slugs_and_prices(requests.post(url, json={"query": PRICES}, headers=as_staff, timeout=30))
        assert seen.keys() == {"lamp", "withdrawn"}
        as_cookie = {"Cookie": f"JWT={staff_token}"}
        seen = slugs_and_prices(requests.get(url, params={"query": PRICES}, headers=as_cookie, timeout=30))
        assert seen.keys() == {"lamp", "withdrawn"}
        app, app_token = app_create(principal=Principal.system(), name="Fulfilment", scopes=[AppScope.ORDERS_READ])
        as_app = {"Authorization": f"App {app_token}", "X-Request-ID": "app-1"}
        assert slugs_and_prices(requests.post(url, json={"query": PRICES}, headers=as_app, timeout=30)) == {
            "lamp": "10.00"
        }
        line = access_line(server, "app-1")
        assert line["app_id"] == app.pk and line["sql_queries"] >= 1

        update = {"query": UPDATE_PRODUCT, "variables": {"id": gid("Product", lamp.pk), "input": {"price": "12.50"}}}
        changed = requests.post(url, json=update, headers=as_staff, timeout=30).json()
        assert changed["data"]["updateProduct"]["product"]["price"] == "12.50"
        assert slugs_and_prices(requests.post(url, json={"query": PRICES}, timeout=30)) == {"lamp": "12.50"}
