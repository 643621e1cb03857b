"""The channel-layer group of a partner app's websocket connections, closed
when the app loses access (deactivated, deleted, a scope narrowed, the token
rotated): see infra/connections.py."""


def app_group(app_id: int) -> str:
    return f"partners.app.{app_id}"
