"""Closing open websocket connections when their credentials are revoked.

A connection joins the channel-layer group of whoever it authenticated as (a
user, a partner app); revoking that principal's access sends the group a
message on commit, and every such connection closes with `CLOSE_CODE`.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

CLOSE_MESSAGE_TYPE = "connection.revoked"
CLOSE_CODE = 4403


def connections_close(group: str) -> None:
    """Tell every open websocket connection in `group` to close."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, {"type": CLOSE_MESSAGE_TYPE})


def connections_close_on_commit(group: str) -> None:
    transaction.on_commit(lambda: connections_close(group), robust=True)
