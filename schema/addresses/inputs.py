import strawberry

from commerce.addresses.services import AddressData


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
        return AddressData(
            full_name=self.full_name,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
            phone=self.phone,
        )


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
        return AddressData(
            full_name=self.full_name,
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            region=self.region,
            postal_code=self.postal_code,
            country=self.country,
            phone=self.phone,
        )
