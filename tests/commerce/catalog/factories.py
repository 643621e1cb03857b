"""Plain factories for catalog rows (tests set up state with the ORM, then act through GraphQL)."""

from decimal import Decimal
from itertools import count

from strawberry import relay

from commerce.catalog.options import default_variants_seed
from commerce.models import Category, Product, ProductImage

_numbers = count(1)


def make_category(name: str | None = None, *, active: bool = True, **fields) -> Category:
    n = next(_numbers)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=fields.pop("slug", f"category-{n}"), is_active=active, **fields)


def make_product(
    name: str | None = None,
    *,
    category: Category | None = None,
    price: str | Decimal = "10.00",
    stock: int = 10,
    active: bool = True,
    images: int = 0,
    **fields,
) -> Product:
    n = next(_numbers)
    product = Product.objects.create(
        name=name or f"Product {n}",
        slug=fields.pop("slug", f"product-{n}"),
        price=Decimal(price),
        stock_quantity=stock,
        category=category or make_category(),
        is_active=active,
        **fields,
    )
    default_variants_seed([product])
    for position in range(images):
        ProductImage.objects.create(
            product=product, url=f"https://img.example.com/{n}/{position}.jpg", position=position
        )
    return product


def gid(type_name: str, pk: int) -> str:
    return str(relay.GlobalID(type_name, str(pk)))
