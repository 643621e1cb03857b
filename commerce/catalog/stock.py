"""The one writer of stock. Checkout, cancellation, staff and app edits and the
importer all change stock here, so every change takes the same locks in the
same order, never goes below zero, is recorded as a `StockMovement`, keeps the
product's total (`Product.stock_quantity`, the sum over its variants) in step,
invalidates the catalog cache and announces availability changes on commit.

Lock order, everywhere: the products by primary key, then their variants by
(product id, variant id). A writer that already holds a product's lock (e.g.
`product_update`, the variant services) keeps to it by taking variant locks
only after it.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.db.models import Case, F, IntegerField, Value, When

from commerce.cache import catalog_cache_invalidate
from commerce.catalog.availability import stock_changed
from commerce.errors import InvalidQuantity, OutOfStock
from commerce.models import Product, ProductVariant, StockMovement
from partners.change_actor import Actor, actor_fields

MAX_STOCK = 1_000_000_000


def stock_lock(variant_ids: Iterable[int]) -> dict[int, ProductVariant]:
    """Lock the variants and their products in the one lock order (two queries), with
    each variant's product and category loaded; missing ids are simply absent."""
    ids = set(variant_ids)
    # Products first, in a statement of their own: a join locking both would take
    # a variant before its product, against writers that hold the product already.
    list(Product.objects.select_for_update(of=("self",)).filter(variants__pk__in=ids).order_by("pk").values_list("pk"))
    variants = (
        ProductVariant.objects.select_for_update(of=("self",))
        .select_related("product__category")
        .filter(pk__in=ids)
        .order_by("product_id", "pk")
    )
    return {variant.pk: variant for variant in variants}


def _shortage_message(variant: ProductVariant, delta: int) -> str:
    label = variant.product.name + (f" ({variant.name})" if variant.name else "")
    left = f"only {variant.stock_quantity} left" if variant.stock_quantity else "none left"
    return f"Not enough stock of {label}: you asked for {-delta}, {left}."


def _net(changes: Sequence[tuple[ProductVariant, int]]) -> tuple[dict[int, ProductVariant], dict[int, int]]:
    variants: dict[int, ProductVariant] = {}
    deltas: dict[int, int] = defaultdict(int)
    for variant, delta in changes:
        variants[variant.pk] = variant
        deltas[variant.pk] += delta
    return variants, deltas


def stock_check(
    changes: Sequence[tuple[ProductVariant, int]],
    *,
    field: str | None = None,
    check: Callable[[ProductVariant], None] | None = None,
) -> None:
    """Whether `(variant, delta)` changes of locked variants may apply, writing nothing:
    `check` (if given) on every variant, then `OUT_OF_STOCK` (naming the product and
    variant, with `field`) below zero and `INVALID_QUANTITY` above `MAX_STOCK`."""
    variants, deltas = _net(changes)
    if check is not None:
        for variant in variants.values():
            check(variant)
    for pk, delta in deltas.items():
        after = variants[pk].stock_quantity + delta
        if after < 0:
            raise OutOfStock(_shortage_message(variants[pk], delta), field=field)
        if after > MAX_STOCK:
            raise InvalidQuantity("The stock quantity is too large.", field=field)


def stock_apply(
    *,
    changes: Sequence[tuple[ProductVariant, int]],
    reason: str,
    actor: Actor = None,
    field: str | None = None,
    check: Callable[[ProductVariant], None] | None = None,
) -> list[StockMovement]:
    """Apply `(variant, delta)` changes to variants locked by `stock_lock` in this transaction.

    All or nothing (`stock_check` first). Then one update of the variants, one
    of the products' totals and one insert of the movements, whatever the
    number of changes. The loaded variants and products carry the new figures
    afterwards. Returns the movements.
    """
    stock_check(changes, field=field, check=check)
    variants, deltas = _net(changes)
    by_variant = {pk: delta for pk, delta in deltas.items() if delta}
    if not by_variant:
        return []

    by_product: dict[int, int] = defaultdict(int)
    for pk, delta in by_variant.items():
        by_product[variants[pk].product_id] += delta
    ProductVariant.objects.filter(pk__in=by_variant).update(stock_quantity=F("stock_quantity") + _cases(by_variant))
    Product.objects.filter(pk__in=by_product).update(stock_quantity=F("stock_quantity") + _cases(by_product))

    before: dict[int, int] = {}
    for variant in variants.values():
        before.setdefault(variant.product_id, variant.product.stock_quantity)
    for variant in variants.values():
        variant.product.stock_quantity = before[variant.product_id] + by_product.get(variant.product_id, 0)
    movements = []
    for pk, delta in by_variant.items():
        variant = variants[pk]
        variant.stock_quantity += delta
        movements.append(
            StockMovement(
                product_id=variant.product_id,
                variant=variant,
                **actor_fields(actor),
                delta=delta,
                quantity_after=variant.stock_quantity,
                reason=reason[:200],
            )
        )
    StockMovement.objects.bulk_create(movements)
    stock_changed((pk, before[pk], before[pk] + delta) for pk, delta in by_product.items())
    catalog_cache_invalidate()
    return movements


def _cases(deltas: dict[int, int]) -> Case:
    return Case(*(When(pk=pk, then=Value(delta)) for pk, delta in deltas.items()), output_field=IntegerField())


def stock_change(
    *, changes: Sequence[tuple[int, int]], reason: str, actor: Actor = None, field: str | None = None
) -> list[StockMovement]:
    """Lock and apply `(variant_id, delta)` changes: `stock_lock` then `stock_apply`."""
    locked = stock_lock(pk for pk, _ in changes)
    return stock_apply(
        changes=[(locked[pk], delta) for pk, delta in changes if pk in locked], reason=reason, actor=actor, field=field
    )
