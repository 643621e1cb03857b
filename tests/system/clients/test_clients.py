"""Real clients against a real server: the graphql-http audit, and every snippet of docs/clients.md.

Node packages are pinned in tests/system/clients/package-lock.json (`npm ci` when
node_modules is missing); the tests skip only when `node` is not installed.
"""

import json
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.tokens import token_pair_issue
from tests.factories import make_product
from tests.processes import running_server
from tests.system.clients.snippets.gql_client import make_gql_client, product_names

CLIENTS = Path(__file__).parent
SNIPPETS = CLIENTS / "snippets"
DOCS = Path(settings.BASE_DIR) / "docs" / "clients.md"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
# The server process shares the test database, which SQLite cannot.
needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if not (CLIENTS / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENTS, check=True, timeout=600)
    return CLIENTS / "node_modules"


def node(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["node", *args], cwd=CLIENTS, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def server():
    # The test issues tokens the server must accept.
    with running_server(JWT_SECRET_KEY=settings.JWT_SECRET_KEY, GRAPHQL_INTROSPECTION="1") as process:
        yield process


@needs_node
@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_graphql_http_audit_passes_every_must_and_should(node_modules, server):
    audit = node("audit.mjs", f"{server.url}/graphql/")

    results = [line.split("\t") for line in audit.stdout.splitlines()]
    assert len(results) > 50, audit.stdout + audit.stderr
    assert [r for r in results if r[0] != "ok"] == []
    assert audit.returncode == 0


@needs_node
@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_apollo_refreshes_on_token_expired_and_urql_and_gql_query(node_modules, server, customer, settings):
    make_product(name="Green Jacket")
    settings.JWT_ACCESS_TTL = timedelta(seconds=-1)
    expired = token_pair_issue(user=customer)
    ws_url = server.url.replace("http", "ws", 1) + "/graphql/"

    run = node("run_clients.mjs", f"{server.url}/graphql/", ws_url, expired.token, expired.refresh_token)

    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "apolloMe": {"__typename": "User", "email": customer.email},
        "refreshed": True,
        "subscription": "open",
        "urqlProducts": ["Green Jacket"],
    }
    assert product_names(make_gql_client(f"{server.url}/graphql/")) == ["Green Jacket"]


@needs_node
@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_codegen_maps_the_scalars_and_its_manifest_registers_trusted_documents(node_modules, server):
    # Inside tests/system/clients, so that codegen finds its preset in node_modules.
    with tempfile.TemporaryDirectory(dir=CLIENTS) as workdir:
        _codegen_then_query_by_hash(Path(workdir), node_modules, server)


def _codegen_then_query_by_hash(tmp_path: Path, node_modules: Path, server) -> None:
    shutil.copy(Path(settings.BASE_DIR) / "schema.graphql", tmp_path / "schema.graphql")
    shutil.copytree(CLIENTS / "documents", tmp_path / "src")
    shutil.copy(SNIPPETS / "codegen.json", tmp_path / "codegen.json")
    codegen = subprocess.run(
        [str(node_modules / ".bin" / "graphql-codegen"), "--config", "codegen.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert codegen.returncode == 0, codegen.stdout + codegen.stderr

    types = (tmp_path / "src" / "gql" / "graphql.ts").read_text()
    # Decimal, DateTime and JSON fields are strings (unmapped they would be `any`).
    assert "price: string, createdAt: string" in types
    assert "payload: string" in types
    manifest = tmp_path / "src" / "gql" / "persisted-documents.json"
    call_command("register_documents", str(manifest))
    [digest] = [h for h, document in json.loads(manifest.read_text()).items() if "products" in document]
    digest = digest.removeprefix("sha256:")
    make_product(name="Green Jacket")
    by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    answer = requests.post(f"{server.url}/graphql/", json=by_hash, timeout=30).json()
    assert answer["data"]["products"]["edges"][0]["node"]["name"] == "Green Jacket"


@pytest.mark.parametrize("snippet", ["apollo.mjs", "urql.mjs", "codegen.json", "gql_client.py"])
def test_docs_clients_md_shows_each_tested_snippet_verbatim(snippet):
    assert (SNIPPETS / snippet).read_text() in DOCS.read_text(), f"docs/clients.md must include snippets/{snippet}"
