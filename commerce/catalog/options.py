"""Product options and what a variant's choice of them must look like.

`Product.options` is the list of options (`[{"name": "Size", "values": ["S",
"M"]}]`); every variant of a product with options names one value of each
(`{"Size": "M"}`), and no two variants name the same combination. A product
without options has exactly one variant, its default, with no option values.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from commerce.errors import AlreadyExists, UnknownOption
from commerce.models import Product, ProductVariant
from commerce.models.catalog import SKU_MAX_LENGTH as SKU_LENGTH
from infra.errors import InvalidInput

MAX_OPTIONS = 3
MAX_VALUES = 50
MAX_LENGTH = 60


@dataclass(frozen=True)
class OptionData:
    name: str
    values: Sequence[str]


def _text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"Every {what} needs a name.", field="options")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"An option {what} has at most {MAX_LENGTH} characters.", field="options")
    return text


def clean_options(options: Sequence[OptionData]) -> list[dict]:
    """Options as stored: names and values trimmed, none empty or repeated (any case)."""
    if len(options) > MAX_OPTIONS:
        raise InvalidInput(f"At most {MAX_OPTIONS} options.", field="options")
    cleaned: list[dict] = []
    for option in options:
        name = _text(option.name, "option")
        if name.lower() in {o["name"].lower() for o in cleaned}:
            raise InvalidInput(f"The option {name} appears twice.", field="options")
        values: list[str] = []
        for raw in option.values:
            value = _text(raw, "value")
            if value.lower() in {v.lower() for v in values}:
                raise InvalidInput(f"The value {value} of {name} appears twice.", field="options")
            values.append(value)
        if not values or len(values) > MAX_VALUES:
            raise InvalidInput(f"An option has 1 to {MAX_VALUES} values.", field="options")
        cleaned.append({"name": name, "values": values})
    return cleaned


def clean_choice(product: Product, choice: Sequence[tuple[str, str]]) -> dict[str, str]:
    """A variant's option values checked against the product's options (`UNKNOWN_OPTION`),
    in the product's option order."""
    given: dict[str, str] = {}
    for raw_name, raw_value in choice:
        name, value = (raw_name or "").strip(), (raw_value or "").strip()
        if name in given:
            raise UnknownOption(f"The option {name} is given twice.", field="options")
        given[name] = value
    by_name = {option["name"]: option["values"] for option in product.options}
    for name, value in given.items():
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise UnknownOption(f"{product.name} has no option {name} (its options: {known}).", field="options")
        if value not in by_name[name]:
            raise UnknownOption(
                f"{value} is not a value of {name} (choose from {', '.join(by_name[name])}).", field="options"
            )
    missing = [name for name in by_name if name not in given]
    if missing:
        raise UnknownOption(f"Choose a value of {', '.join(missing)}.", field="options")
    return {name: given[name] for name in by_name}


def choice_name(choice: dict[str, str]) -> str:
    """The display name of a variant: its values in option order, e.g. "M / Red"; "" for a default."""
    return " / ".join(choice.values())


def check_choice_free(product: Product, choice: dict[str, str], *, exclude_pk: int | None = None) -> None:
    """No two variants of a product name the same combination."""
    others = ProductVariant.objects.filter(product=product)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if any(variant.options == choice for variant in others.only("options")):
        raise AlreadyExists(f"{product.name} already has a variant {choice_name(choice)}.", field="options")


def clean_sku(value: str | None) -> str:
    sku = (value or "").strip()
    if not sku:
        raise InvalidInput("A SKU is required.", field="sku")
    if len(sku) > SKU_LENGTH or any(c.isspace() for c in sku):
        raise InvalidInput(f"A SKU has at most {SKU_LENGTH} characters and no spaces.", field="sku")
    return sku


def default_sku(product: Product) -> str:
    """The SKU of a product's default variant: its slug, or slug and id when that is long or taken."""
    sku = product.slug[:SKU_LENGTH]
    if sku != product.slug or ProductVariant.objects.filter(sku=sku).exists():
        sku = f"{product.slug[: SKU_LENGTH - 12]}-{product.pk}"
    return sku


def variant_default_create(product: Product) -> ProductVariant:
    """The default variant of a product without options, with no stock yet
    (stock arrives through catalog/stock.py)."""
    return ProductVariant.objects.create(product=product, sku=default_sku(product), name="", options={})


def variants_refit(product: Product, options: list[dict]) -> None:
    """Give `product` new options (in its locked transaction) and fit its variants to them.

    A variant keeps its values of options that stay and takes the first value
    of a new option; a value that is no longer offered, or two variants
    ending up alike, is `INVALID_INPUT` (change or delete those variants
    first). Without options the product keeps exactly one variant, its
    default (created if it had none).
    """
    variants = list(ProductVariant.objects.filter(product=product).order_by("pk"))
    if not options:
        if len(variants) > 1:
            raise InvalidInput("A product without options has one variant; delete the others first.", field="options")
        if not variants:
            product.options = []
            variant_default_create(product)
            return
    seen: set[tuple[str, ...]] = set()
    for variant in variants:
        choice = {}
        for option in options:
            value = variant.options.get(option["name"], option["values"][0])
            if value not in option["values"]:
                raise InvalidInput(
                    f"The variant {variant.sku} is {option['name']} {value}; change or delete it first.",
                    field="options",
                )
            choice[option["name"]] = value
        key = tuple(choice.values())
        if key in seen:
            raise InvalidInput(
                f"Two variants would both be {choice_name(choice)}; change or delete one first.", field="options"
            )
        seen.add(key)
        if choice != variant.options:
            variant.options, variant.name = choice, choice_name(choice)
            variant.save(update_fields=["options", "name", "updated_at"])
    product.options = options


def default_variants_seed(products: Iterable[Product]) -> list[ProductVariant]:
    """Bulk seeding only (benchmark data, test fixtures): default variants for products
    inserted directly, holding the stock the product rows were given."""
    return ProductVariant.objects.bulk_create(
        ProductVariant(
            product=product,
            sku=f"{product.slug[: SKU_LENGTH - 12]}-{product.pk}",
            stock_quantity=product.stock_quantity,
        )
        for product in products
    )
