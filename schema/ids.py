"""Relay global ids in arguments, checked against the type they must name."""

from strawberry import relay

from infra.errors import NotFound


def node_pk(global_id: relay.GlobalID, type_name: str) -> int:
    """The primary key behind a global id of `type_name`; `NOT_FOUND` otherwise."""
    if global_id.type_name != type_name:
        raise NotFound(f"No {type_name} with this id.")
    try:
        return int(global_id.node_id)
    except (TypeError, ValueError) as exc:
        raise NotFound(f"No {type_name} with this id.") from exc
