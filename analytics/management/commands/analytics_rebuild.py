"""Recompute the dashboards' rollups for a range of days from the source tables, whatever the
incremental marks say: after a restore, an import that sent no signals, or a rollup newly declared."""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError

from analytics.rollups import rebuild, today
from backoffice.metrics import METRICS

FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_day(text: str) -> date:
    for each in FORMATS:
        try:
            return datetime.strptime(text, each).date()
        except ValueError:
            continue
    raise CommandError(f"{text!r} is not a day: write it as YYYY-MM-DD or dd/mm/aaaa.")


class Command(BaseCommand):
    help = ("Recompute the rollups of every day from --from to --to (both included) from the source tables: "
            "by default from each rollup's first row to today.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="The first day, YYYY-MM-DD or dd/mm/aaaa.")
        parser.add_argument("--to", dest="end", help="The last day (today by default).")
        parser.add_argument("--rollup", action="append", choices=sorted(METRICS.rollups), dest="names",
                            help="Only this rollup (repeatable); all of them by default.")

    def handle(self, *args, start, end, names, **options):
        end = parse_day(end) if end else today()
        start = parse_day(start) if start else None
        if start and start > end:
            raise CommandError(f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d}.")
        chosen = [METRICS.rollups[name] for name in names] if names else None
        days = rebuild(start=start, end=end, rollups=chosen, out=self.stdout.write)
        self.stdout.write(f"{days} days recomputed.")
