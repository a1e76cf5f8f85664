"""The demo store: `manage.py seed_demo` runs every registered seeder in order.

Each app adds its demo data in its own `demo.py` with `@demo_seeder(order=...)`; a seeder
takes keyword arguments `faker` (Faker pt_BR, seeded), `orders` (how many orders the demo
should hold) and `log` (a callable for progress lines), and must be idempotent.
"""

from dataclasses import dataclass
from typing import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ROLES


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    run: Callable


SEEDERS: list[Seeder] = []


def demo_seeder(order: int):
    def register(func):
        SEEDERS.append(Seeder(f"{func.__module__}.{func.__name__}", order, func))
        return func

    return register


def demo_password(role: str) -> str:
    """The documented demo password of the user named after `role`."""
    return f"{role}-demo"


@demo_seeder(order=0)
def seed_users(*, faker, log, **kwargs):
    """One user per role, named after it, with the password `<role>-demo`."""
    User = get_user_model()
    for role in ROLES:
        user, created = User.objects.get_or_create(
            username=role,
            defaults={
                "first_name": faker.first_name(),
                "last_name": faker.last_name(),
                "email": f"{role}@loja.example",
                # The Django admin hosts the schedule editor (ops) and user management (admin).
                "is_staff": role in ("ops", "admin"),
            },
        )
        if created:
            user.set_password(demo_password(role))
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        log(f"user {role}: {'created' if created else 'already there'}")
