"""The fields every status event of a durable stream carries in the API (`OrderStatusEvent`, `PaymentStatusEvent`)."""

from enum import Enum
from typing import Any, TypeVar

from commerce.event_stream import EventStream, StreamRow

Status = TypeVar("Status", bound=Enum)


def status_event_fields(row: StreamRow, *, stream: EventStream[StreamRow], status: type[Status]) -> dict[str, Any]:
    """`from_status` (None for a first event), `to_status`, `changed_at` and `cursor` of one stream row."""
    assert row.sequence is not None  # numbered in the transaction that wrote it
    return {
        "from_status": status(row.from_status) if row.from_status else None,
        "to_status": status(row.to_status),
        "changed_at": row.created_at,
        "cursor": stream.cursor_encode(row.sequence),
    }
