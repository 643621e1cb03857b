import strawberry
from strawberry import relay

from commerce.notifications import services
from infra.errors import NotFound
from schema.accounts.types import OkPayload, OkResult
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import IsAuthenticated


def _pks(ids: list[relay.GlobalID]) -> list[int]:
    pks = []
    for global_id in ids:
        try:
            pks.append(node_pk(global_id, "Notification"))
        except NotFound:
            continue  # like another user's id: ignored
    return pks


@strawberry.type
class NotificationMutations:
    @mutation(
        description="Mark your notifications read: those in `ids`, or all of them when `ids` is omitted or "
        "empty. Ids that are not yours are ignored.",
        permissions=(IsAuthenticated(),),
    )
    def mark_notifications_read(self, info: Info, ids: list[relay.GlobalID] | None = None) -> OkResult:
        pks = _pks(ids) if ids else None
        if ids and not pks:
            return OkPayload()
        services.notifications_mark_read(user=info.context.signed_in_user, ids=pks)
        return OkPayload()
