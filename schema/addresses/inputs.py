import dataclasses

import strawberry

from commerce.addresses.services import AddressData


def _address_data(source: object) -> AddressData:
    return AddressData(**{field.name: getattr(source, field.name) for field in dataclasses.fields(AddressData)})


@strawberry.input(description="A new address. `country` is an ISO 3166-1 alpha-2 code, e.g. DE.")
class AddressInput:
    full_name: str
    line1: str
    line2: str = ""
    city: str
    region: str = ""
    postal_code: str = ""
    country: str
    phone: str = ""
    is_default: bool = strawberry.field(default=False, description="Make it the default (the first one always is).")

    def as_data(self) -> AddressData:
        return _address_data(self)


@strawberry.input(description="The address fields to change; omitted ones stay.")
class AddressUpdateInput:
    full_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    phone: str | None = None

    def as_data(self) -> AddressData:
        return _address_data(self)
