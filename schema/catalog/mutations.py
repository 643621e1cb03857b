import strawberry
from strawberry import UNSET, relay

from commerce.catalog import policy as catalog_policy
from commerce.catalog import services, variants
from commerce.catalog.options import OptionData
from schema.context import Info
from schema.errors import mutation
from schema.ids import node_pk
from schema.permissions import Allowed

from .inputs import (
    CategoryInput,
    CategoryUpdateInput,
    ProductInput,
    ProductOptionInput,
    ProductUpdateInput,
    ProductVariantInput,
    ProductVariantUpdateInput,
    VariantOptionInput,
)
from .types import (
    CategoryPayload,
    CategoryResult,
    ProductPayload,
    ProductResult,
    ProductVariantPayload,
    ProductVariantResult,
    StockPayload,
    StockResult,
)


def _images(images) -> list[services.ImageData] | None:
    return None if images is None else [image.as_data() for image in images]


def _options(options: list[ProductOptionInput] | None) -> list[OptionData] | None:
    return None if options is None else [option.as_data() for option in options]


def _choice(options: list[VariantOptionInput] | None) -> list[tuple[str, str]] | None:
    return None if options is None else [(option.name, option.value) for option in options]


# Staff, and partner apps holding catalog:write; changes record which of them made them.
CATALOG_WRITERS = (Allowed(catalog_policy.may_write_catalog),)


@strawberry.type
class CatalogMutations:
    @mutation(
        description="Create a category (staff, or apps with CATALOG_WRITE); its slug is generated.",
        permissions=CATALOG_WRITERS,
    )
    def create_category(self, info: Info, input: CategoryInput) -> CategoryResult:
        return CategoryPayload(
            category=services.category_create(
                principal=info.context.principal, name=input.name, description=input.description
            )
        )

    @mutation(
        description="Rename or describe a category (staff, or apps with CATALOG_WRITE); the slug stays.",
        permissions=CATALOG_WRITERS,
    )
    def update_category(self, info: Info, id: relay.GlobalID, input: CategoryUpdateInput) -> CategoryResult:
        category = services.category_update(
            principal=info.context.principal,
            category_id=node_pk(id, "Category"),
            name=input.name,
            description=input.description,
        )
        return CategoryPayload(category=category)

    @mutation(
        description="Switch a category on or off (staff, or apps with CATALOG_WRITE). Switching it off switches "
        "off its products; switching it on again restores those, not products switched off one by one.",
        permissions=CATALOG_WRITERS,
    )
    def set_category_active(self, info: Info, id: relay.GlobalID, active: bool) -> CategoryResult:
        return CategoryPayload(
            category=services.category_set_active(
                principal=info.context.principal, category_id=node_pk(id, "Category"), active=active
            )
        )

    @mutation(
        description="Create a product (staff, or apps with CATALOG_WRITE); its slug is generated and unique.",
        permissions=CATALOG_WRITERS,
    )
    def create_product(self, info: Info, input: ProductInput) -> ProductResult:
        product = services.product_create(
            principal=info.context.principal,
            name=input.name,
            description=input.description,
            price=input.price,
            stock_quantity=input.stock_quantity,
            category_id=node_pk(input.category_id, "Category"),
            images=_images(input.images) or (),
            is_active=input.is_active,
            options=_options(input.options) or (),
        )
        return ProductPayload(product=product)

    @mutation(
        description="Change a product (staff, or apps with CATALOG_WRITE); omitted fields stay.",
        permissions=CATALOG_WRITERS,
    )
    def update_product(self, info: Info, id: relay.GlobalID, input: ProductUpdateInput) -> ProductResult:
        product = services.product_update(
            principal=info.context.principal,
            product_id=node_pk(id, "Product"),
            name=input.name,
            description=input.description,
            price=input.price,
            stock_quantity=input.stock_quantity,
            category_id=None if input.category_id is None else node_pk(input.category_id, "Category"),
            images=_images(input.images),
            is_active=input.is_active,
            options=_options(input.options),
        )
        return ProductPayload(product=product)

    @mutation(
        description="Delete a product (staff, or apps with CATALOG_WRITE): hidden everywhere, kept for order history.",
        permissions=CATALOG_WRITERS,
    )
    def delete_product(self, info: Info, id: relay.GlobalID) -> ProductResult:
        return ProductPayload(
            product=services.product_delete(principal=info.context.principal, product_id=node_pk(id, "Product"))
        )

    @mutation(
        description="Add (positive `delta`) or remove (negative) stock of a variant (staff, or apps with "
        "CATALOG_WRITE); never below zero. Recorded with who, why and when. `variantId` may be omitted for a "
        "product with one variant (else VARIANT_REQUIRED).",
        permissions=CATALOG_WRITERS,
    )
    def adjust_stock(
        self,
        info: Info,
        product_id: relay.GlobalID,
        delta: int,
        reason: str | None = None,
        variant_id: relay.GlobalID | None = None,
    ) -> StockResult:
        product = services.stock_adjust(
            principal=info.context.principal,
            product_id=node_pk(product_id, "Product"),
            variant_id=None if variant_id is None else node_pk(variant_id, "ProductVariant"),
            delta=delta,
            reason=reason or "",
        )
        return StockPayload(product=product)

    @mutation(
        description="Add a variant to a product with options (staff, or apps with CATALOG_WRITE): a free SKU "
        "(ALREADY_EXISTS), one value of each option (UNKNOWN_OPTION), a combination not taken (ALREADY_EXISTS).",
        permissions=CATALOG_WRITERS,
    )
    def create_product_variant(self, info: Info, input: ProductVariantInput) -> ProductVariantResult:
        variant = variants.variant_create(
            principal=info.context.principal,
            product_id=node_pk(input.product_id, "Product"),
            sku=input.sku,
            options=_choice(input.options) or [],
            price=input.price,
            stock_quantity=input.stock_quantity,
        )
        return ProductVariantPayload(variant=variant, product=variant.product)

    @mutation(
        description="Change a variant (staff, or apps with CATALOG_WRITE); omitted fields stay, `price: null` "
        "sells it at the product's price, `stockQuantity` sets its stock (recorded).",
        permissions=CATALOG_WRITERS,
    )
    def update_product_variant(
        self, info: Info, id: relay.GlobalID, input: ProductVariantUpdateInput
    ) -> ProductVariantResult:
        variant = variants.variant_update(
            principal=info.context.principal,
            variant_id=node_pk(id, "ProductVariant"),
            sku=input.sku,
            options=_choice(input.options),
            price=None if input.price is UNSET else input.price,
            clear_price=input.price is None,
            stock_quantity=input.stock_quantity,
        )
        return ProductVariantPayload(variant=variant, product=variant.product)

    @mutation(
        description="Delete a variant (staff, or apps with CATALOG_WRITE): cart lines of it go, order lines keep "
        "its frozen SKU and name. A product keeps at least one variant. Returns the product.",
        permissions=CATALOG_WRITERS,
    )
    def delete_product_variant(self, info: Info, id: relay.GlobalID) -> ProductResult:
        product = variants.variant_delete(principal=info.context.principal, variant_id=node_pk(id, "ProductVariant"))
        return ProductPayload(product=product)
