"""Fill the database with the demo store. Safe to run again: what exists is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import autodiscover_modules
from faker import Faker

from backoffice.demo import SEEDERS, demo_password, seeding
from backoffice.roles import ROLES

# Enough for every screen (each pipeline state, three months of NPS and cash flow), seeded in
# about 15 s on two cores: `make run` answers within a minute of its start.
ORDERS = 600


class Command(BaseCommand):
    help = "Create the demo store: one user per role, then each app's demo data."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=ORDERS, help=f"How many demo orders (default {ORDERS}).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for reproducible data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has users."
        )

    def handle(self, *args, orders, seed, if_empty, **options):
        if orders < 0:
            raise CommandError("--orders must be 0 or more.")
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("The database already has users; demo seeding skipped.")
            return
        autodiscover_modules("demo")
        faker = Faker("pt_BR")
        faker.seed_instance(seed)
        # DEBUG's query log off: it would keep every query of the history and quote its
        # parameters (one more query each on SQLite), a sixth of the seeding's time.
        with override_settings(DEBUG=False), seeding():
            for seeder in sorted(SEEDERS, key=lambda s: s.order):
                self.stdout.write(self.style.MIGRATE_HEADING(f"{seeder.name}"))
                with transaction.atomic():
                    seeder.run(faker=faker, orders=orders, log=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS("Demo store ready. Logins (user / password):"))
        for role in ROLES:
            self.stdout.write(f"  {role} / {demo_password(role)}")
