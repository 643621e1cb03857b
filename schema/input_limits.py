"""Limits on the values a request passes in: list lengths, nesting and text.

Depth, alias and token limits see only the document, while one variable can
carry 20,000 ordering entries or filters nested 500 deep in a few hundred KB.
Every argument literal of the document and every variable is walked before any
resolver runs, and refused with a code:

- a list longer than `GRAPHQL_MAX_LIST_LENGTH`: `LIST_TOO_LONG`;
- lists and input objects nested deeper than `GRAPHQL_MAX_INPUT_DEPTH`: `INPUT_TOO_DEEP`;
- text holding a control character other than tab, line feed and carriage
  return (PostgreSQL text cannot hold NUL): `INVALID_INPUT`.

Literals are part of the document, so a validation rule checks them (and the
validation cache remembers the verdict); variables change from one request to
the next with the same document, so they are checked on every request.
"""

import re
from typing import Any

from graphql import GraphQLError, ListValueNode, Node, ObjectValueNode, StringValueNode, ValidationRule

# C0 controls but tab, LF and CR; DEL; C1 controls.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _as_python(item: Any) -> Any:
    """A literal's node as the value a variable would carry, one level deep."""
    if isinstance(item, StringValueNode):
        return item.value
    if isinstance(item, ListValueNode):
        return list(item.values)
    if isinstance(item, ObjectValueNode):
        return {field.name.value: field.value for field in item.fields}
    return item


def value_problem(value: Any, *, max_list_length: int, max_depth: int) -> tuple[str, str] | None:
    """Why `value` (a variable's JSON value or a literal's node) is refused, as
    (code, reason), or None. Iterative and stops at the first problem, so a
    hostile value costs at most a walk of what the limits allow."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        item = _as_python(item)
        if isinstance(item, str):
            if match := _CONTROL_CHARACTER.search(item):
                return (
                    "INVALID_INPUT",
                    f"holds the control character U+{ord(match.group()):04X}: "
                    "text may contain tabs and line breaks, but no other control characters",
                )
            continue
        if not isinstance(item, list | dict):
            continue
        if depth >= max_depth:
            return "INPUT_TOO_DEEP", f"nests lists and input objects deeper than {max_depth} levels"
        if isinstance(item, list):
            if len(item) > max_list_length:
                return "LIST_TOO_LONG", f"holds a list of {len(item)} items; at most {max_list_length} are allowed"
            pending.extend((child, depth + 1) for child in item)
        else:
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
    return None


def _refusal(subject: str, problem: tuple[str, str], node: Node | None = None) -> GraphQLError:
    code, reason = problem
    return GraphQLError(f"{subject} {reason}.", node, extensions={"code": code})


def variable_errors(variables: dict[str, Any] | None, *, max_list_length: int, max_depth: int) -> list[GraphQLError]:
    """The refusals of a request's variables (at most one per variable)."""
    errors = []
    for name, value in (variables or {}).items():
        problem = value_problem(value, max_list_length=max_list_length, max_depth=max_depth)
        if problem is not None:
            errors.append(_refusal(f"Variable '${name}'", problem))
    return errors


def literal_limits_rule(max_list_length: int, max_depth: int) -> type[ValidationRule]:
    class InputLiteralLimits(ValidationRule):
        """Refuse argument literals and variable defaults over the input limits."""

        def _check(self, subject: str, value_node: Node, node: Node) -> None:
            problem = value_problem(value_node, max_list_length=max_list_length, max_depth=max_depth)
            if problem is not None:
                self.report_error(_refusal(subject, problem, node))

        def enter_argument(self, node, *_args):
            self._check(f"Argument '{node.name.value}'", node.value, node)

        def enter_variable_definition(self, node, *_args):
            if node.default_value is not None:
                self._check(f"The default of '${node.variable.name.value}'", node.default_value, node)

    return InputLiteralLimits
