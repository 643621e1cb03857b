"""Open websocket connections of a user and of one login session (a refresh
family): all of the user's are closed when all of the user's tokens are revoked
(password change or reset, deactivation), a session's when that session ends
(logout, revokeToken, refresh-token reuse)."""

import uuid

from infra.connections import connections_close_on_commit


def user_connections_group(user_id: int) -> str:
    """The channel-layer group of every open connection of one user (closed together)."""
    return f"accounts.user.{user_id}"


def session_group(family: str | uuid.UUID) -> str:
    return f"accounts.session.{uuid.UUID(str(family)).hex}"


def user_connections_close_on_commit(user_id: int) -> None:
    connections_close_on_commit(user_connections_group(user_id))


def session_connections_close_on_commit(family: str | uuid.UUID) -> None:
    connections_close_on_commit(session_group(family))
