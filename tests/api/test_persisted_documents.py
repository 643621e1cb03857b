"""Automatic persisted queries (Apollo's protocol) and trusted-documents mode, through HTTP."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from infra.models import TrustedDocument
from tests.factories import make_product

pytestmark = pytest.mark.django_db

PRODUCTS = "query Products { products(first: 5) { edges { node { name } } } }"
ME = "query Me { me { email } }"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def post(client, body: dict, **headers):
    return client.post("/graphql/", data=json.dumps(body), content_type="application/json", headers=headers)


def get(client, body: dict, **headers):
    params = {key: json.dumps(value) if isinstance(value, dict) else value for key, value in body.items()}
    return client.get("/graphql/", params, headers={"Accept": "application/json", **headers})


def codes(response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


def test_apq_registers_a_document_once_it_comes_with_its_hash(client):
    make_product(name="Green Jacket")
    by_hash = {"extensions": persisted(sha256(PRODUCTS))}

    assert codes(post(client, by_hash)) == ["PERSISTED_QUERY_NOT_FOUND"]
    first = post(client, {"query": PRODUCTS, **by_hash})
    assert first.json()["data"]["products"]["edges"] == [{"node": {"name": "Green Jacket"}}]

    assert post(client, by_hash).json() == first.json()
    assert get(client, by_hash).json() == first.json()


def test_a_hash_that_is_not_the_documents_is_refused_and_not_stored(client):
    wrong = {"query": ME, "extensions": persisted(sha256(PRODUCTS))}
    assert codes(post(client, wrong)) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert codes(post(client, {"extensions": persisted(sha256(PRODUCTS))})) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert codes(post(client, {"extensions": persisted("not-a-hash")})) == ["INVALID_REQUEST"]


def test_anonymous_catalog_queries_over_get_are_shareable_by_http_caches(client, customer, settings):
    post(client, {"query": PRODUCTS, "extensions": persisted(sha256(PRODUCTS))})
    by_hash = {"operationName": "Products", "extensions": persisted(sha256(PRODUCTS))}

    shared = get(client, by_hash)
    assert shared.status_code == 200
    assert "public" in shared["Cache-Control"] and f"max-age={settings.GRAPHQL_GET_MAX_AGE}" in shared["Cache-Control"]
    assert {"Authorization", "Cookie"} <= {v.strip() for v in shared["Vary"].split(",")}

    from tests.conftest import access_token

    logged_in = get(client, by_hash, Authorization=f"JWT {access_token(customer)}")
    assert "public" not in logged_in.get("Cache-Control", "")
    assert "public" not in post(client, by_hash).get("Cache-Control", "")
    assert "public" not in get(client, {"query": ME}).get("Cache-Control", "")


@pytest.mark.parametrize("introspection", [True, False])
@pytest.mark.parametrize("accept", ["*/*", "text/html,*/*;q=0.8", None])
def test_a_persisted_query_over_get_is_answered_whatever_the_accept_header(client, settings, introspection, accept):
    """Browsers and `fetch` send `*/*`: a GET naming a document by hash is an operation, not a request for GraphiQL."""
    settings.GRAPHQL_INTROSPECTION = introspection
    make_product(name="Green Jacket")
    post(client, {"query": PRODUCTS, "extensions": persisted(sha256(PRODUCTS))})
    params = {"extensions": json.dumps(persisted(sha256(PRODUCTS)))}

    response = client.get("/graphql/", params, headers={"Accept": accept} if accept else {})

    assert response.status_code == 200
    assert response.json()["data"]["products"]["edges"] == [{"node": {"name": "Green Jacket"}}]


@pytest.fixture
def manifest(tmp_path):
    documents = {sha256(PRODUCTS): PRODUCTS}
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps(documents))
    return path


def test_register_documents_stores_a_manifest_and_checks_its_hashes(manifest, tmp_path):
    call_command("register_documents", str(manifest))
    call_command("register_documents", str(manifest))  # again: harmless
    assert list(TrustedDocument.objects.values_list("sha256", "document")) == [(sha256(PRODUCTS), PRODUCTS)]

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({sha256(PRODUCTS): ME, sha256(ME): ME}))
    with pytest.raises(CommandError, match="not the SHA-256"):
        call_command("register_documents", str(forged))
    assert TrustedDocument.objects.count() == 1


def test_trusted_documents_mode_runs_only_registered_documents(client, manifest, settings, staff):
    from tests.conftest import access_token

    call_command("register_documents", str(manifest))
    settings.GRAPHQL_TRUSTED_DOCUMENTS = "only"
    settings.GRAPHQL_INTROSPECTION = False
    make_product(name="Green Jacket")

    by_hash = post(client, {"extensions": persisted(sha256(PRODUCTS))})
    assert by_hash.json()["data"]["products"]["edges"] == [{"node": {"name": "Green Jacket"}}]
    assert "errors" not in post(client, {"query": PRODUCTS}).json()

    assert codes(post(client, {"query": ME})) == ["DOCUMENT_NOT_TRUSTED"]
    # APQ cannot register a new document in this mode.
    assert codes(post(client, {"query": ME, "extensions": persisted(sha256(ME))})) == ["DOCUMENT_NOT_TRUSTED"]
    assert codes(post(client, {"extensions": persisted(sha256(ME))})) == ["PERSISTED_QUERY_NOT_FOUND"]
    staff_headers = {"Authorization": f"JWT {access_token(staff)}"}
    assert codes(post(client, {"query": ME}, **staff_headers)) == ["DOCUMENT_NOT_TRUSTED"]

    # Staff in GraphiQL may run anything while introspection is on.
    settings.GRAPHQL_INTROSPECTION = True
    assert post(client, {"query": ME}, **staff_headers).json() == {"data": {"me": {"email": staff.email}}}
    assert codes(post(client, {"query": ME})) == ["DOCUMENT_NOT_TRUSTED"]
