from django.core.management.base import BaseCommand

from commerce.cleanup import cleanup_run


class Command(BaseCommand):
    help = (
        "Delete expired refresh tokens and cancel PENDING orders "
        "older than PENDING_ORDER_TTL_MINUTES (restoring their stock)."
    )

    def handle(self, *args, **options) -> None:
        report = cleanup_run()
        self.stdout.write(
            f"Deleted {report.refresh_tokens_deleted} refresh tokens; "
            f"cancelled {report.orders_cancelled} unpaid orders."
        )
