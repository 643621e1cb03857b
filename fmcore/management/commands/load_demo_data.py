import os
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from commerce.catalog.importing import catalog_import, load_source
from commerce.models import Product

DEMO_STAFF_EMAIL = "staff@fmcore.local"
DEMO_CATALOG = Path(__file__).resolve().parents[3] / "commerce" / "catalog" / "demo_catalog.json"


class Command(BaseCommand):
    help = "Load the demo data once: a staff login, and the demo catalog (only into an empty catalog)."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_STAFF_PASSWORD", "fmcore-demo-staff")
        with transaction.atomic():
            if not User.objects.filter(email__iexact=DEMO_STAFF_EMAIL).exists():
                User.objects.create_superuser(DEMO_STAFF_EMAIL, password, first_name="Demo", last_name="Staff")
                self.stdout.write("created the demo staff user")
        # Only into an empty catalog, so that `make run` never undoes what staff changed.
        if not Product.objects.exists():
            report = catalog_import(data=load_source(str(DEMO_CATALOG)))
            self.stdout.write(
                f"loaded the demo catalog: {report.categories.created} categories, {report.products.created} products"
            )
        self.stdout.write(f"staff login: {DEMO_STAFF_EMAIL} / {password} (unless you changed it)")
