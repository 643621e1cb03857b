"""Documents a client names by hash: Apollo's automatic persisted queries
(APQ) and trusted documents registered from a client build's manifest.

APQ: a request with `extensions.persistedQuery.sha256Hash` and no `query`
runs the document stored under that hash, or answers
`PERSISTED_QUERY_NOT_FOUND`; the client then sends the document with its
hash, which is checked and stored in the cache. A GET by hash is then a short
URL a CDN can cache (response_cache.py sets `Cache-Control`).

`GRAPHQL_TRUSTED_DOCUMENTS=only`: nothing runs but registered documents (by
hash or by text), except for staff in GraphiQL while introspection is on.
"""

import hashlib
import re
from typing import overload

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from commerce.cache import _safe
from infra.models import TrustedDocument

APQ_TTL = 7 * 24 * 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentRefused(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@overload
def _bare_hash(value: str) -> str: ...
@overload
def _bare_hash(value: object) -> object: ...
def _bare_hash(value: object) -> object:
    """graphql-codegen writes hashes as `sha256:<hex>`; Apollo sends the bare hex."""
    return value.removeprefix("sha256:") if isinstance(value, str) else value


def _apq_key(digest: str) -> str:
    return f"gql:apq:{digest}"


def _trusted_document(digest: str) -> str | None:
    return TrustedDocument.objects.filter(sha256=digest).values_list("document", flat=True).first()


def trusted_only() -> bool:
    return settings.GRAPHQL_TRUSTED_DOCUMENTS == "only"


def request_document(*, query: str | None, extensions: dict | None, may_run_any: bool) -> str | None:
    """The document a request runs; `DocumentRefused` when it names an unknown
    hash, a hash of another text, or (trusted-only mode) an unregistered document."""
    persisted = (extensions or {}).get("persistedQuery")
    digest: str | None = None
    if persisted is not None:
        sent = _bare_hash(persisted.get("sha256Hash")) if isinstance(persisted, dict) else None
        if not (isinstance(sent, str) and _SHA256.match(sent)):
            raise DocumentRefused("INVALID_REQUEST", "`persistedQuery.sha256Hash` must be a hex SHA-256.")
        digest = sent
    if digest is not None and query is not None and document_hash(query) != digest:
        raise DocumentRefused("PERSISTED_QUERY_HASH_MISMATCH", "The hash is not the SHA-256 of the document.")

    if trusted_only() and not may_run_any:
        document = _trusted_document(digest or document_hash(query or ""))
        if document is None and query is None:
            raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "No registered document has this hash.")
        if document is None:
            raise DocumentRefused("DOCUMENT_NOT_TRUSTED", "This server runs only its registered documents.")
        return document

    if digest is None:
        return query
    if query is not None:
        _safe(lambda: cache.set(_apq_key(digest), query, timeout=APQ_TTL))
        return query
    document = _safe(lambda: cache.get(_apq_key(digest))) or _trusted_document(digest)
    if document is None:
        raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "Unknown document hash: send the document with it.")
    return document


def trusted_documents_register(*, manifest: dict[str, str]) -> int:
    """Register a client's documents (`{"<sha256>": "<document>"}`, graphql-codegen's
    persisted-documents manifest); every hash is checked. Returns how many are new."""
    manifest = {_bare_hash(digest): document for digest, document in manifest.items()}
    for digest, document in manifest.items():
        if not isinstance(document, str) or document_hash(document) != digest:
            raise ValueError(f"{digest}: the hash is not the SHA-256 of its document")
    with transaction.atomic():
        known = set(TrustedDocument.objects.filter(sha256__in=manifest).values_list("sha256", flat=True))
        TrustedDocument.objects.bulk_create(
            TrustedDocument(sha256=digest, document=document)
            for digest, document in manifest.items()
            if digest not in known
        )
    return len(manifest.keys() - known)
