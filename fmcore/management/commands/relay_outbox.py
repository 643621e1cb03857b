from datetime import timedelta

from django.core.management.base import BaseCommand

from infra.outbox import outbox_relay


class Command(BaseCommand):
    help = "Send outbox messages that could not be sent at commit time (broker outage)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=10, help="seconds (default 10)")

    def handle(self, *args, older_than: int, **options):
        sent = outbox_relay(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"sent {sent} message(s)")
