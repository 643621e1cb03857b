"""Open websocket connections of partner apps, closed when an app loses access.

Each app connection joins the channel-layer group of its app; deactivating,
deleting, narrowing the scopes of or rotating the token of an app sends the
group a message on commit, and every connection of the app closes with
`CLOSE_CODE`.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

CLOSE_MESSAGE_TYPE = "partners.app.revoked"
CLOSE_CODE = 4403


def app_group(app_id: int) -> str:
    return f"partners.app.{app_id}"


def app_connections_close(app_id: int) -> None:
    """Tell every open websocket connection of the app to close."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(app_group(app_id), {"type": CLOSE_MESSAGE_TYPE})
