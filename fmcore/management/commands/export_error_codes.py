from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Write docs/errors.md from the registry of error codes (infra/error_codes.py)."

    def handle(self, *args, **options):
        from infra.error_codes import error_codes_markdown

        output = Path(settings.BASE_DIR) / "docs" / "errors.md"
        output.write_text(error_codes_markdown())
        self.stdout.write(f"wrote {output}")
