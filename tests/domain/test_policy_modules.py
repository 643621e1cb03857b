"""Every "may X do Y" rule lives in a policy module: outside them, no
production code reads a caller's staff or superuser flag or asks for a scope.
An attribute read of `is_staff`, `is_superuser`, `has_scope` or `may` in any
other module fails here; route it through a `policy.py` function instead."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "commerce", "partners", "schema")
CALLER_CHECKS = {"is_staff", "is_superuser", "has_scope", "may"}
RULE_MODULES = {"accounts/principal.py", "commerce/order_visibility.py"}
# Reads that are not a caller's permission, each with why.
NOT_A_PERMISSION = {
    # An app's own scopes, asked of the app receiving a webhook.
    "partners/delivery.py",
    "partners/services.py",
    "partners/outgoing_webhooks.py",
    # Which kind of actor made a status change, shown to readers.
    "schema/orders/types.py",
    # Response caches keyed by the kind of viewer (what they see is still the policies').
    "schema/customer_cache.py",
    "schema/shared_results.py",
}


def _caller_checks(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in CALLER_CHECKS
    ]


def test_caller_checks_only_in_policy_modules():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if "/migrations/" in name or path.name == "policy.py" or name in RULE_MODULES | NOT_A_PERMISSION:
                continue
            found += _caller_checks(path)
    assert found == [], "ask a policy function (<domain>/policy.py) instead:\n" + "\n".join(found)


def test_the_exceptions_still_exist():
    missing = [name for name in RULE_MODULES | NOT_A_PERMISSION if not (ROOT / name).exists()]
    assert missing == []
