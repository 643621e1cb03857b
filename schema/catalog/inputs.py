from decimal import Decimal

import strawberry
from strawberry import relay

from commerce.catalog.services import ImageData


@strawberry.input(description="A category to create.")
class CategoryInput:
    name: str
    description: str = ""


@strawberry.input(description="The category fields to change; omitted ones stay.")
class CategoryUpdateInput:
    name: str | None = None
    description: str | None = None


@strawberry.input(description="A picture of a product.")
class ProductImageInput:
    url: str
    alt: str = ""

    def as_data(self) -> ImageData:
        return ImageData(url=self.url, alt=self.alt)


@strawberry.input(description="A product to create.")
class ProductInput:
    name: str
    description: str = ""
    price: Decimal = strawberry.field(description="Not negative, at most two decimal places.")
    stock_quantity: int = strawberry.field(description="Units available; not negative.")
    category_id: relay.GlobalID = strawberry.field(description="A Category id.")
    images: list[ProductImageInput] | None = None
    is_active: bool = True


@strawberry.input(description="The product fields to change; omitted ones stay. `images` replaces all images.")
class ProductUpdateInput:
    name: str | None = None
    description: str | None = None
    price: Decimal | None = None
    stock_quantity: int | None = None
    category_id: relay.GlobalID | None = None
    images: list[ProductImageInput] | None = None
    is_active: bool | None = None
