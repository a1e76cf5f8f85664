"""Write a month's NF-e XML files (authorized, cancelled, events, voided ranges) to a ZIP for the
accountant, as the books page's download does."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from fiscal.books import Period, parse_month
from fiscal.exports import write_archive


class Command(BaseCommand):
    help = ("Write the ZIP of a month's NF-e XML files — authorized (nfeProc), cancellation and CC-e events "
            "(procEventoNFe), voided number ranges (procInutNFe) — with a summary CSV, as the accountant gets it.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, YYYY-MM (e.g. 2026-12).")
        parser.add_argument("--output", required=True, type=Path, help="The ZIP file to write (replaced if it exists).")

    def handle(self, *args, month, output, **options):
        try:
            period = Period.month(parse_month(month))
        except ValueError:
            raise CommandError(f"--month must be a month as YYYY-MM (e.g. 2026-12), not {month!r}.") from None
        output = output.expanduser().absolute()
        if output.is_dir():
            raise CommandError(f"--output {output} is a directory: name the ZIP file to write.")
        # Written beside the target, then moved over it: an interrupted run leaves no half a ZIP.
        try:
            spool = tempfile.NamedTemporaryFile(dir=output.parent, prefix=f".{output.name}.", delete=False)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        try:
            with spool, translation.override(settings.LANGUAGE_CODE):
                report = write_archive(spool, period)
            os.replace(spool.name, output)
        except BaseException:
            os.unlink(spool.name)
            raise
        self.stdout.write(f"{report.documents} documents of {period} written to {output}: {report.invoices} NF-e, "
                          f"{report.events} events, {report.voided} voided number ranges.")
        for missing in report.missing:
            self.stderr.write(f"Warning: {missing} has no stored XML (not in the ZIP).")
