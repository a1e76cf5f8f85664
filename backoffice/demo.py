"""The demo store: `manage.py seed_demo` runs every registered seeder in order.

Each app adds its demo data in its own `demo.py` with `@demo_seeder(order=...)`; a seeder
takes keyword arguments `faker` (Faker pt_BR, seeded), `orders` (how many orders the demo
should hold) and `log` (a callable for progress lines), and must be idempotent.

A seeder writes the store's past through the services, each step at the moment it happened
(`run_history`), so every timestamp the services take — timeline events, audit lines, stock
movements, payments, survey answers — is that moment's, and queues no task: what happened
months ago sends no e-mail now.
"""

import heapq
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from itertools import count
from typing import Callable

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from .roles import ROLES


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    run: Callable


SEEDERS: list[Seeder] = []
_seeding: ContextVar[bool] = ContextVar("demo_seeding", default=False)


@contextmanager
def seeding():
    """The block writes the demo store's history: what keeps derived figures current as things
    happen (the dashboards' rollups) leaves it alone, and the last seeders compute them at once."""
    token = _seeding.set(True)
    try:
        yield
    finally:
        _seeding.reset(token)


def is_seeding() -> bool:
    return _seeding.get()


def demo_seeder(order: int):
    def register(func):
        SEEDERS.append(Seeder(f"{func.__module__}.{func.__name__}", order, func))
        return func

    return register


@contextmanager
def happening(moment: datetime):
    """Run the block as if it were `moment`: the clock every service and Django's auto_now
    fields read starts there and ticks on, so what the block writes is dated then."""
    with time_machine.travel(moment, tick=True):
        yield


# A story: a generator that yields the moment of its next step, then takes the step.
Story = Iterator[datetime]


def run_history(stories: Iterable[Story]) -> None:
    """Take the stories' steps in the order they happened, whichever story each belongs to,
    each at its moment (`happening`): so the ledger's, the timelines' and the audit log's rows
    are written in time order, and each step sees the store as it was then. A step may not
    be dated before the one its story took last, nor after now."""
    now, turn, waiting = timezone.now(), count(), []

    def queue(story, moment):
        if moment > now:
            raise ValueError(f"a demo story stepped into the future: {moment}")
        heapq.heappush(waiting, (moment, next(turn), story))

    for story in stories:
        first = next(story, None)
        if first is not None:
            queue(story, first)
    while waiting:
        moment, _turn, story = heapq.heappop(waiting)
        with happening(moment):
            following = next(story, None)
        if following is not None:
            if following < moment:
                raise ValueError(f"a demo story stepped back in time: {following} after {moment}")
            queue(story, following)


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
