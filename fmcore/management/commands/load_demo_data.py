import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.principal import Principal
from commerce.addresses.services import AddressData, address_create
from commerce.cart.services import cart_line_add
from commerce.catalog.importing import catalog_import
from commerce.checkout.services import order_checkout
from commerce.models import PaymentMethod, Product, ProductVariant, ShippingMethod, Voucher
from commerce.shipping.selectors import shipping_methods_for
from commerce.shipping.services import shipping_method_create
from commerce.vouchers.services import voucher_create

DEMO_STAFF_EMAIL = "staff@fmcore.local"
DEMO_CUSTOMER_EMAIL = "customer@fmcore.local"
DEMO_CATALOG = Path(__file__).resolve().parents[3] / "commerce" / "catalog" / "demo_catalog.json"
DEMO_VOUCHER_CODE = "WELCOME10"
DEMO_VOUCHER = {"code": DEMO_VOUCHER_CODE, "kind": "PERCENTAGE", "value": "10", "min_subtotal": "20.00"}
DEMO_SHIPPING_METHODS = [
    {"name": "Standard", "price": "4.90", "free_above": "50.00"},
    {"name": "Express", "price": "12.90"},
]
DEMO_ADDRESS = AddressData(
    full_name="Demo Customer",
    line1="1 Market Street",
    city="Springfield",
    region="OR",
    postal_code="97403",
    country="US",
    phone="+15415550100",
)


def demo_catalog(products: int) -> dict[str, Any]:
    """The demo catalog sized to `products`: its own rows first, then numbered copies of them."""
    data = json.loads(DEMO_CATALOG.read_text())
    rows = data["products"]
    sized = [dict(row) for row in rows[:products]]
    for number in range(len(rows), products):
        row = rows[number % len(rows)]
        copy = number // len(rows) + 1
        sized.append(dict(row, name=f"{row['name']} #{copy}", slug=f"{row['slug']}-{copy}"))
        if "variants" in row:  # SKUs are unique across the catalog
            sized[-1]["variants"] = [dict(v, sku=f"{v['sku']}-{copy}") for v in row["variants"]]
    return {"categories": data["categories"], "products": sized}


class Command(BaseCommand):
    help = (
        "Load the demo data once: a staff login, a verified customer (an address, a past order, a cart), "
        "the demo catalog (only into an empty catalog), a voucher and two shipping methods (only when there are none)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products", type=int, default=None, help="How many products the demo catalog has (default: 12)."
        )

    def handle(self, *args, products: int | None, **options):
        if products is not None and products < 1:
            raise CommandError("--products must be at least 1.")
        staff_password = os.environ.get("DEMO_STAFF_PASSWORD", "fmcore-demo-staff")
        customer_password = os.environ.get("DEMO_CUSTOMER_PASSWORD", "fmcore-demo-customer")
        with transaction.atomic():
            if not User.objects.filter(email__iexact=DEMO_STAFF_EMAIL).exists():
                User.objects.create_superuser(DEMO_STAFF_EMAIL, staff_password, first_name="Demo", last_name="Staff")
                self.stdout.write("created the demo staff user")
        # Only into an empty catalog, so that `make run` never undoes what staff changed.
        if not Product.objects.exists():
            report = catalog_import(principal=Principal.system(), data=demo_catalog(products or 12))
            self.stdout.write(
                f"loaded the demo catalog: {report.categories.created} categories, {report.products.created} products"
            )
        elif products is not None:
            self.stdout.write("the catalog is not empty: --products left it as it is")
        self._create_pricing()
        if not User.objects.filter(email__iexact=DEMO_CUSTOMER_EMAIL).exists():
            self._create_customer(customer_password)
        self.stdout.write(f"staff login: {DEMO_STAFF_EMAIL} / {staff_password} (unless you changed it)")
        self.stdout.write(f"customer login: {DEMO_CUSTOMER_EMAIL} / {customer_password} (unless you changed it)")

    def _create_pricing(self) -> None:
        """The WELCOME10 voucher and the Standard and Express shipping methods, unless staff made their own."""
        if not Voucher.objects.exists():
            voucher_create(principal=Principal.system(), changes=DEMO_VOUCHER)
            self.stdout.write(f"created the demo voucher {DEMO_VOUCHER_CODE} (10% off from 20.00)")
        if not ShippingMethod.objects.exists():
            for method in DEMO_SHIPPING_METHODS:
                shipping_method_create(principal=Principal.system(), changes=method)
            self.stdout.write("created the demo shipping methods Standard and Express")

    def _create_customer(self, password: str) -> None:
        """A verified customer with a default address, one placed order and one line in the cart."""
        in_stock = list(
            ProductVariant.objects.filter(product__is_active=True, stock_quantity__gt=0).order_by("product_id", "id")[
                :2
            ]
        )
        with transaction.atomic():
            customer = User.objects.create_user(
                DEMO_CUSTOMER_EMAIL, password, first_name="Demo", last_name="Customer", email_verified=True
            )
            address = address_create(user=customer, data=DEMO_ADDRESS)
            if in_stock:
                cart_line_add(owner=customer, variant_id=in_stock[0].pk, quantity=1)
                shipping = shipping_methods_for(address.country)
                order = order_checkout(
                    user=customer,
                    payment_method=PaymentMethod.COD,
                    shipping_address_id=address.pk,
                    shipping_method_id=shipping[0].pk if shipping else None,
                )
                cart_line_add(owner=customer, variant_id=in_stock[-1].pk, quantity=1)
                self.stdout.write(f"created the demo customer, with order {order.number} and a cart")
            else:
                self.stdout.write("created the demo customer (no product in stock: no order, empty cart)")
