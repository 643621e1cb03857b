from django.core.management.base import BaseCommand, CommandError

from accounts.principal import Principal
from commerce.catalog.importing import HTTP_TIMEOUT_SECONDS, ImportSourceError, catalog_import, load_source


class Command(BaseCommand):
    help = (
        "Upsert categories and products from a JSON file or an http(s) URL (format: docs/import_products.md). "
        "Valid rows are written in one transaction; invalid rows are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="path of a JSON file, or an http(s) URL serving one")
        parser.add_argument("--timeout", type=float, default=HTTP_TIMEOUT_SECONDS, help="HTTP timeout in seconds")
        parser.add_argument("--strict", action="store_true", help="import nothing if any row is invalid")

    def handle(self, *args, source: str, timeout: float, strict: bool, **options):
        try:
            data = load_source(source, timeout=timeout)
            report = catalog_import(principal=Principal.system(), data=data, strict=strict)
        except ImportSourceError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            self.stderr.write(f"skipped {error}")
        if strict and report.errors:
            raise CommandError(f"{len(report.errors)} invalid row(s): nothing was imported (--strict)")
        for kind, counts in (("categories", report.categories), ("products", report.products)):
            self.stdout.write(
                f"{kind}: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged, {counts.skipped} skipped"
            )
