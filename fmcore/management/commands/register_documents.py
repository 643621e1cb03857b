import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Register the GraphQL documents of a client build from its persisted-documents manifest "
        '({"<sha256>": "<document>"}, as graphql-codegen\'s client preset writes it).'
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="Path of persisted-documents.json")

    def handle(self, *args, manifest: str, **options):
        from schema.persisted_documents import trusted_documents_register

        try:
            documents = json.loads(Path(manifest).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {manifest}: {exc}") from exc
        if not isinstance(documents, dict):
            raise CommandError("the manifest must be a JSON object of hash -> document")
        try:
            added = trusted_documents_register(manifest=documents)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"registered {added} new of {len(documents)} documents")
