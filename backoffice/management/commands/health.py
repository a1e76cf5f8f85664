"""Print the health checks of /health; exit 1 when one is down (for container healthchecks and cron)."""

from django.core.management.base import BaseCommand

from backoffice.selectors import health_checks

KEYS = ("database", "broker", "worker", "beat")


class Command(BaseCommand):
    help = "Check database, broker, worker heartbeat and beat; exit 1 if any (or the --only ones) is down."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=KEYS, action="append", help="Check only this (repeatable).")

    def handle(self, *args, only, **options):
        checks = [c for c in health_checks() if not only or c.key in only]
        for check in checks:
            style = self.style.SUCCESS if check.ok else self.style.ERROR
            self.stdout.write(style(f"{check.key}: {'ok' if check.ok else 'DOWN'} ({check.detail})"))
        missing = set(only or ()) - {c.key for c in checks}
        for key in sorted(missing):
            self.stdout.write(self.style.ERROR(f"{key}: DOWN (not checked: the database is unreachable)"))
        if missing or not all(check.ok for check in checks):
            raise SystemExit(1)
