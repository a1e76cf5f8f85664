"""Prove that every stock level equals the sum of its ledger rows and reservations."""

from django.core.management.base import BaseCommand, CommandError

from inventory.models import StockLevel
from inventory.selectors import ledger_drift


class Command(BaseCommand):
    help = "Check every stock level against the stock ledger and the active reservations; exit 1 on drift."

    def handle(self, *args, **options):
        drift = ledger_drift()
        for level, wrong in drift:
            details = ", ".join(f"{field} stored {stored} but ledger says {expected}"
                                for field, (stored, expected) in wrong.items())
            self.stdout.write(self.style.ERROR(f"DRIFT {level}: {details}"))
        total = StockLevel.objects.count()
        if drift:
            raise CommandError(f"{len(drift)} of {total} stock levels drift from the ledger.")
        self.stdout.write(self.style.SUCCESS(f"No drift: all {total} stock levels match the ledger."))
