from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Write the GraphQL SDL to schema.graphql (or --output)."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "schema.graphql"))

    def handle(self, *args, output: str, **options):
        from schema import schema

        Path(output).write_text(schema.as_str() + "\n")
        self.stdout.write(f"wrote {output}")
