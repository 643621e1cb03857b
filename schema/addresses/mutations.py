import strawberry
from strawberry import relay

from commerce.addresses import services
from schema.accounts.types import OkPayload, OkResult
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import IsAuthenticated

from .inputs import AddressInput, AddressUpdateInput
from .types import AddressPayload, AddressResult


@strawberry.type
class AddressMutations:
    @mutation(description="Add an address; your first one becomes the default.", permissions=(IsAuthenticated(),))
    def create_address(self, info: Info, input: AddressInput) -> AddressResult:
        address = services.address_create(user=info.context.user, data=input.as_data(), is_default=input.is_default)
        return AddressPayload(address=address)

    @mutation(description="Change one of your addresses.", permissions=(IsAuthenticated(),))
    def update_address(self, info: Info, id: relay.GlobalID, input: AddressUpdateInput) -> AddressResult:
        address = services.address_update(
            user=info.context.user, address_id=node_pk(id, "Address"), data=input.as_data()
        )
        return AddressPayload(address=address)

    @mutation(
        description="Delete one of your addresses; if it was the default, your oldest other one takes over.",
        permissions=(IsAuthenticated(),),
    )
    def delete_address(self, info: Info, id: relay.GlobalID) -> OkResult:
        services.address_delete(user=info.context.user, address_id=node_pk(id, "Address"))
        return OkPayload()

    @mutation(description="Make one of your addresses the default.", permissions=(IsAuthenticated(),))
    def set_default_address(self, info: Info, id: relay.GlobalID) -> AddressResult:
        address = services.address_set_default(user=info.context.user, address_id=node_pk(id, "Address"))
        return AddressPayload(address=address)
