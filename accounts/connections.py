"""Open websocket connections of a user, closed when all of the user's tokens
are revoked (password change or reset, deactivation)."""

from fmcore.connections import connections_close_on_commit


def user_group(user_id: int) -> str:
    return f"accounts.user.{user_id}"


def user_connections_close_on_commit(user_id: int) -> None:
    connections_close_on_commit(user_group(user_id))
