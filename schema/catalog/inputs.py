from decimal import Decimal

import strawberry
from strawberry import relay

from commerce.catalog.options import OptionData
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


@strawberry.input(description="An option of a product and its values, e.g. Size: S, M, L.")
class ProductOptionInput:
    name: str
    values: list[str]

    def as_data(self) -> OptionData:
        return OptionData(name=self.name, values=self.values)


@strawberry.input(description="A variant's value of one option, e.g. Size M.")
class VariantOptionInput:
    name: str
    value: str


@strawberry.input(description="A variant to add to a product with options.")
class ProductVariantInput:
    product_id: relay.GlobalID = strawberry.field(description="A Product id.")
    sku: str = strawberry.field(description="Unique across the catalog; no spaces, at most 64 characters.")
    options: list[VariantOptionInput] = strawberry.field(description="One value of each of the product's options.")
    price: Decimal | None = strawberry.field(default=None, description="Empty: sells at the product's price.")
    stock_quantity: int = strawberry.field(default=0, description="Units available; not negative.")


@strawberry.input(
    description="The variant fields to change; omitted ones stay. `price: null` sells at the product's price."
)
class ProductVariantUpdateInput:
    sku: str | None = None
    options: list[VariantOptionInput] | None = None
    price: Decimal | None = strawberry.UNSET
    stock_quantity: int | None = None


@strawberry.input(description="A product to create.")
class ProductInput:
    name: str
    description: str = ""
    price: Decimal = strawberry.field(description="Not negative, at most two decimal places.")
    stock_quantity: int = strawberry.field(description="Units available; not negative.")
    category_id: relay.GlobalID = strawberry.field(description="A Category id.")
    images: list[ProductImageInput] | None = None
    is_active: bool = True
    options: list[ProductOptionInput] | None = strawberry.field(
        default=None,
        description="Options its variants choose from; then `stockQuantity` must be 0 and variants are created "
        "one by one. Without options the product gets one default variant.",
    )


@strawberry.input(description="The product fields to change; omitted ones stay. `images` replaces all images.")
class ProductUpdateInput:
    name: str | None = None
    description: str | None = None
    price: Decimal | None = None
    stock_quantity: int | None = None
    category_id: relay.GlobalID | None = None
    images: list[ProductImageInput] | None = None
    is_active: bool | None = None
    options: list[ProductOptionInput] | None = strawberry.field(
        default=None,
        description="Replace the options; variants keep their values of options that stay and take the first "
        "value of new ones. `stockQuantity` needs a product with one variant (else VARIANT_REQUIRED).",
    )
