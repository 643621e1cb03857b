"""One registry of error codes: the `ErrorCode` enum, docs/errors.md, and every code the source raises."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.conf import settings

from infra.error_codes import ERROR_CODES, error_codes_markdown
from infra.errors import DomainError

PACKAGES = ("accounts", "commerce", "fmcore", "partners", "schema")
# Calls whose string arguments are codes.
CODE_CALLS = {"Refusal", "DocumentRefused", "registered", "GraphQLError", "ConnectionRejectionError"}


def _source_files():
    for package in PACKAGES:
        for path in (Path(settings.BASE_DIR) / package).rglob("*.py"):
            if "migrations" not in path.parts and path.name != "settings.py":
                yield path


def _is_code(node) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.isupper()
        and (" " not in node.value)
    )


def _code_literals(tree: ast.AST):
    """String literals used as codes: `code=`, `code = `, `"code": `, and code-making calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code" and _is_code(node.value):
            yield node.value.value
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "code" for t in node.targets):
            if _is_code(node.value):
                yield node.value.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and _is_code(value):
                    yield value.value
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in CODE_CALLS:
            yield from (arg.value for arg in node.args if _is_code(arg))
        elif isinstance(node, ast.FunctionDef) and node.name == "_code_of":
            yield from (n.value.value for n in ast.walk(node) if isinstance(n, ast.Return) and _is_code(n.value))
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_LIMIT_CODES" for t in node.targets):
            yield from (pair.elts[1].value for pair in node.value.elts)


def test_every_code_literal_in_the_source_is_registered():
    found = {code: path for path in _source_files() for code in _code_literals(ast.parse(path.read_text()))}

    assert {"OUT_OF_STOCK", "INVALID_NAME", "SUBSCRIPTION_OVER_HTTP", "INVALID_ID", "QUERY_TOO_DEEP"} <= found.keys()
    unregistered = {code: str(path) for code, path in found.items() if code not in ERROR_CODES}
    assert not unregistered, f"add these codes to infra/error_codes.py: {unregistered}"


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_domain_error_has_a_registered_code():
    for package in PACKAGES:
        for module in pkgutil.walk_packages([str(Path(settings.BASE_DIR) / package)], prefix=f"{package}."):
            if ".migrations" not in module.name and not module.name.endswith((".settings", ".asgi")):
                importlib.import_module(module.name)

    errors = list(_subclasses(DomainError))
    assert len(errors) >= 25
    assert {e.__name__: e.code for e in errors if e.code not in ERROR_CODES} == {}


def test_an_unregistered_code_fails_at_once():
    with pytest.raises(ValueError, match="NOT_A_CODE"):
        DomainError(code="NOT_A_CODE")
    with pytest.raises(ValueError, match="ALSO_NOT_A_CODE"):
        type("Broken", (DomainError,), {"code": "ALSO_NOT_A_CODE"})


def test_operation_message_code_is_the_error_code_enum(gql):
    data = gql(
        '{ message: __type(name: "OperationMessage") { fields { name type { name } } }'
        ' codes: __type(name: "ErrorCode") { enumValues { name description } } }'
    )
    assert {f["name"]: f["type"]["name"] for f in data["message"]["fields"]}["code"] == "ErrorCode"
    values = data["codes"]["enumValues"]
    assert [v["name"] for v in values] == list(ERROR_CODES)
    assert all(v["description"] for v in values)


def test_docs_errors_md_is_generated_from_the_registry():
    committed = (Path(settings.BASE_DIR) / "docs" / "errors.md").read_text()
    assert committed == error_codes_markdown(), (
        "docs/errors.md is out of date: run `python manage.py export_error_codes` and commit it"
    )
