"""GraphiQL is served by fm-core itself: its page and every asset come from the
API's own origin, byte for byte the pinned npm packages, so it works offline,
behind a proxy and under `script-src 'self'`."""

import base64
import hashlib
import json
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from fmcore.management.commands.load_demo_data import DEMO_CUSTOMER_EMAIL, DEMO_STAFF_EMAIL
from tests.processes import manage, running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ASSET = re.compile(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"[^>]*>', re.S)
INTEGRITY = re.compile(r'integrity="([^"]+)"')
SUBSCRIPTION = "subscription { orderStatusChanged { toStatus order { number } } }"
LOGIN = "mutation($e: String!, $p: String!) { tokenAuth(email: $e, password: $p) { ... on TokenPayload { token } } }"
PRODUCTS = "{ products(first: 20, filters: {inStock: true}) { edges { node { id stockQuantity } } } }"
ADD = "mutation($p: ID!) { addToCart(productId: $p) { __typename } }"
SHIPPING = "{ cart { availableShippingMethods { id } } }"
CHECKOUT = "mutation($s: ID) { checkout(input: {paymentMethod: COD, shippingMethodId: $s}) { __typename } }"


def graphiql_page(client) -> str:
    response = client.get("/graphql/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_loads_nothing_from_another_origin_and_no_inline_code(client):
    page = graphiql_page(client)
    assets = ASSET.findall(page)
    assert [url for url in assets if not url.startswith(("/static/", "data:"))] == []
    assert len(assets) == 10  # the 7 vendored files, ours (ide.js, ide.css), the empty favicon
    assert "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"


def test_every_vendored_asset_is_served_and_matches_its_integrity(client):
    tags = re.findall(r"<(?:script|link)[^>]*>", graphiql_page(client), re.S)
    pinned = {ASSET.search(tag).group(1): INTEGRITY.search(tag).group(1) for tag in tags if "integrity=" in tag}
    assert len(pinned) == 7  # react, react-dom, js-cookie, graphiql js + css, explorer js + css
    for url, integrity in pinned.items():
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
        assert integrity == f"sha384-{digest}", url


def _gql(base: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"JWT {token}"} if token else {}
    body = requests.post(
        f"{base}/graphql/", json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    ).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_graphiql_runs_queries_and_subscriptions_in_a_browser_that_reaches_no_other_host(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    database = tmp_path / "db.sqlite3"
    manage("migrate", "--noinput", sqlite=database)
    manage("load_demo_data", sqlite=database)
    with running_server(sqlite=database, DEBUG="1") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            page = browser.new_page()
            elsewhere: list[str] = []
            page.on(
                "request", lambda r: urlsplit(r.url).netloc != urlsplit(server.url).netloc and elsewhere.append(r.url)
            )
            staff_token = _gql(server.url, LOGIN, {"e": DEMO_STAFF_EMAIL, "p": "fmcore-demo-staff"})["tokenAuth"][
                "token"
            ]
            # The Headers tab, as a user would have filled it in: GraphiQL keeps it in local storage.
            headers = json.dumps(json.dumps({"Authorization": f"JWT {staff_token}"}))
            page.add_init_script(f"localStorage.setItem('graphiql:headers', {headers})")

            page.goto(f"{server.url}/graphql/", timeout=60_000)
            page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=60_000)
            assert "Loading..." not in page.inner_text("#graphiql")
            assert page.locator("button[aria-label='Show GraphiQL Explorer']").count() == 1
            page.click(".graphiql-execute-button")
            page.wait_for_function(
                "document.querySelector('.result-window')?.innerText.includes('\"products\"')", timeout=60_000
            )
            assert '"inStock"' in page.inner_text(".result-window")

            page.goto(f"{server.url}/graphql/?q={requests.utils.quote(SUBSCRIPTION)}", timeout=60_000)
            page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=60_000)
            with page.expect_websocket(timeout=60_000):
                page.click(".graphiql-execute-button")
            # The server does not acknowledge `subscribe`: place orders until one is seen.
            customer_token = _gql(server.url, LOGIN, {"e": DEMO_CUSTOMER_EMAIL, "p": "fmcore-demo-customer"})[
                "tokenAuth"
            ]["token"]
            products = [edge["node"] for edge in _gql(server.url, PRODUCTS)["products"]["edges"]]
            product = max(products, key=lambda node: node["stockQuantity"])["id"]
            ship = _gql(server.url, SHIPPING, token=customer_token)["cart"]["availableShippingMethods"][0]["id"]
            deadline = time.monotonic() + 60
            while "PENDING" not in page.inner_text(".result-window") and time.monotonic() < deadline:
                _gql(server.url, ADD, {"p": product}, customer_token)
                checkout = _gql(server.url, CHECKOUT, {"s": ship}, customer_token)["checkout"]
                assert checkout["__typename"] == "CheckoutPayload"
                page.wait_for_timeout(2000)
            assert '"toStatus": "PENDING"' in page.inner_text(".result-window")
            assert elsewhere == []
        finally:
            browser.close()
