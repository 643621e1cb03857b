from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first FIELD_ENCRYPTION_KEY (then older keys can go)."

    def handle(self, *args, **options):
        from infra.encryption import encrypted_fields_reencrypt

        self.stdout.write(f"re-encrypted {encrypted_fields_reencrypt()} rows")
