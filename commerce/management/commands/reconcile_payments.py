from django.core.management.base import BaseCommand

from commerce.settlement.reconciliation import payments_reconcile


class Command(BaseCommand):
    help = (
        "Ask the providers about payments left PENDING or AUTHORIZED for longer than "
        "PAYMENT_RECONCILE_AFTER_MINUTES and settle them (paid orders become PAID); payments still open after "
        "PAYMENT_ABANDON_AFTER_HOURS are marked FAILED. COD payments are skipped."
    )

    def handle(self, *args, **options) -> None:
        report = payments_reconcile()
        self.stdout.write(
            f"Checked {report.checked} payments: {report.settled} settled, {report.failed} failed or cancelled, "
            f"{report.unchanged} still open, {report.errors} provider errors."
        )
