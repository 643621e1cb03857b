"""Cart writes of one owner (a user, or a guest holding a cart token) and
wishlist writes of one user. Each cart write invalidates a user's cached
cart on commit; `cart_cache_invalidate` is exported for checkout."""

from django.conf import settings
from django.db import transaction

from commerce.cache import cart_cache_invalidate
from commerce.cart.guests import CartOwner, Guest, owner_cart_cache_invalidate, owner_carts
from commerce.catalog.selectors import visible_products
from commerce.errors import InvalidQuantity, OutOfStock, VariantRequired
from commerce.models import Cart, CartLine, Product, ProductVariant, WishlistItem
from infra.errors import InvalidInput, NotFound

from .selectors import cart_load

__all__ = [
    "cart_cache_invalidate",
    "cart_clear",
    "cart_get_or_create",
    "cart_line_add",
    "cart_line_remove",
    "cart_line_update",
    "wishlist_add",
    "wishlist_remove",
]


def cart_get_or_create(*, owner: CartOwner) -> Cart:
    """The owner's cart: a user's is created on first use, a guest's exists since `createGuestCart`."""
    if isinstance(owner, Guest):
        return owner_carts(owner).get()
    cart, _ = Cart.objects.get_or_create(user=owner)
    return cart


def _locked_cart(owner: CartOwner) -> Cart:
    cart = cart_get_or_create(owner=owner)
    # Serialises concurrent edits of one cart (a no-op lock on SQLite, which serialises writers anyway).
    return Cart.objects.select_for_update().get(pk=cart.pk)


def _cart_reload(owner: CartOwner) -> Cart:
    """The owner's cart as the API shows it, after a write that locked (so created) it."""
    cart = cart_load(owner=owner)
    assert cart is not None  # _locked_cart created it
    return cart


def _buyable_product(product_id: int) -> Product:
    product = visible_products().filter(pk=product_id).first()
    if product is None:
        raise NotFound("No such product.", field="productId")
    return product


def _buyable_variant(product_id: int | None, variant_id: int | None) -> ProductVariant:
    """The variant named, or the one variant of the product named (`VARIANT_REQUIRED` with several)."""
    if variant_id is not None:
        variants = ProductVariant.objects.select_related("product").filter(
            pk=variant_id, product__in=visible_products()
        )
        if product_id is not None:
            variants = variants.filter(product_id=product_id)
        variant = variants.first()
        if variant is None:
            raise NotFound("No such variant.", field="variantId")
        return variant
    if product_id is None:
        raise InvalidInput("Give a productId or a variantId.", field="variantId")
    product = _buyable_product(product_id)
    found = list(ProductVariant.objects.filter(product=product).order_by("pk")[:2])
    if len(found) != 1:
        raise VariantRequired(f"{product.name} comes in several variants; choose one.", field="variantId")
    found[0].product = product
    return found[0]


def _label(variant: ProductVariant) -> str:
    return variant.product.name + (f" ({variant.name})" if variant.name else "")


def _check_quantity(quantity: int, variant: ProductVariant) -> None:
    if quantity > settings.MAX_LINE_QUANTITY:
        raise InvalidQuantity(f"At most {settings.MAX_LINE_QUANTITY} of one product per order.", field="quantity")
    if quantity > variant.stock_quantity:
        raise OutOfStock(f"Only {variant.stock_quantity} of {_label(variant)} in stock.", field="quantity")


def _own_line(cart: Cart, line_id: int) -> CartLine:
    line = CartLine.objects.select_related("product", "variant").filter(pk=line_id, cart=cart).first()
    if line is None:
        raise NotFound("No such cart line.", field="lineId")
    line.variant.product = line.product
    return line


def cart_line_add(
    *, owner: CartOwner, product_id: int | None = None, variant_id: int | None = None, quantity: int = 1
) -> Cart:
    """Put `quantity` units of a variant in the cart; a variant already there gets its quantity raised.

    Name the variant, or a product with one variant (`VARIANT_REQUIRED` with
    several). The resulting quantity must not exceed the variant's stock
    (`OUT_OF_STOCK`) or `MAX_LINE_QUANTITY` (`INVALID_QUANTITY`); products not
    on sale are `NOT_FOUND`.
    """
    if quantity < 1:
        raise InvalidQuantity("The quantity must be at least 1.", field="quantity")
    with transaction.atomic():
        cart = _locked_cart(owner)
        variant = _buyable_variant(product_id, variant_id)
        line = CartLine.objects.filter(cart=cart, variant=variant).first()
        new_quantity = quantity + (line.quantity if line else 0)
        _check_quantity(new_quantity, variant)
        if line:
            line.quantity = new_quantity
            line.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(cart=cart, product=variant.product, variant=variant, quantity=new_quantity)
        cart.save(update_fields=["updated_at"])
        owner_cart_cache_invalidate(owner)
    return _cart_reload(owner)


def cart_line_update(*, owner: CartOwner, line_id: int, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes it. Negative is `INVALID_QUANTITY`, more than the stock `OUT_OF_STOCK`."""
    if quantity < 0:
        raise InvalidQuantity("The quantity cannot be negative.", field="quantity")
    with transaction.atomic():
        cart = _locked_cart(owner)
        line = _own_line(cart, line_id)
        if quantity == 0:
            line.delete()
        elif quantity != line.quantity:
            if quantity > line.quantity:
                # Only products still on sale may be bought in larger numbers.
                _buyable_product(line.product_id)
            _check_quantity(quantity, line.variant)
            line.quantity = quantity
            line.save(update_fields=["quantity"])
        cart.save(update_fields=["updated_at"])
        owner_cart_cache_invalidate(owner)
    return _cart_reload(owner)


def cart_line_remove(*, owner: CartOwner, line_id: int) -> Cart:
    """Remove one line of the owner's cart (`NOT_FOUND` if it is not theirs)."""
    with transaction.atomic():
        cart = _locked_cart(owner)
        _own_line(cart, line_id).delete()
        cart.save(update_fields=["updated_at"])
        owner_cart_cache_invalidate(owner)
    return _cart_reload(owner)


def cart_clear(*, owner: CartOwner) -> Cart:
    """Remove every line of the owner's cart."""
    with transaction.atomic():
        cart = _locked_cart(owner)
        cart.lines.all().delete()
        cart.save(update_fields=["updated_at"])
        owner_cart_cache_invalidate(owner)
    return _cart_reload(owner)


def wishlist_add(*, user, product_id: int) -> WishlistItem:
    """Remember a product on sale; adding it again changes nothing."""
    with transaction.atomic():
        product = _buyable_product(product_id)
        item, _ = WishlistItem.objects.get_or_create(user=user, product=product)
    return item


def wishlist_remove(*, user, product_id: int) -> None:
    """Forget a product; removing one that is not there changes nothing."""
    WishlistItem.objects.filter(user=user, product_id=product_id).delete()
