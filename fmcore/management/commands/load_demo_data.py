import os

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User

DEMO_STAFF_EMAIL = "staff@fmcore.local"


class Command(BaseCommand):
    help = "Load the demo data once: a staff login, and the demo catalog."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_STAFF_PASSWORD", "fmcore-demo-staff")
        with transaction.atomic():
            if not User.objects.filter(email__iexact=DEMO_STAFF_EMAIL).exists():
                User.objects.create_superuser(DEMO_STAFF_EMAIL, password, first_name="Demo", last_name="Staff")
                self.stdout.write("created the demo staff user")
        self.stdout.write(f"staff login: {DEMO_STAFF_EMAIL} / {password} (unless you changed it)")
