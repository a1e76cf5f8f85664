"""How work goes through the queue: what every app's services and tasks share, kept apart from
any tasks module so that no services module imports one. Tasks import their services at the top;
services queue a task by its name (`send_after_commit("payments.tasks.process_webhook", pk)`),
within their app and across apps alike, and every app's tasks are registered when Django starts
(backoffice.apps), so a name no task has fails at the call. Also the poison-task guard every
task runs under (GuardedTask, the Celery app's task class)."""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from functools import partial

from celery import Task
from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

from .celery import app as celery_app

logger = logging.getLogger(__name__)


# Retried with backoff when the database is briefly unreachable; tasks are acks_late
# (CELERY_TASK_ACKS_LATE) and safe to repeat.
RETRY_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}
# A task that sends e-mail: the mail server unreachable or refusing for now (smtplib's errors are
# OSErrors) is retried too.
RETRY_MAIL = {"autoretry_for": (OSError, *RETRY_TRANSIENT["autoretry_for"]), "retry_backoff": True, "max_retries": 5}

# What still waits this long after it was stored was not queued (the broker was down) or its
# task was lost: the catch-up jobs (every five minutes) process it.
WAITING_TOO_LONG = timedelta(minutes=5)


def send_after_commit(name: str, *args) -> None:
    """Queue the task registered as `name` with `args` once the current transaction commits.
    With the broker down the request still succeeds and what it stored stays waiting (logged
    as a warning), caught up by a job: backoffice.process_waiting_imports,
    payments.process_waiting_webhooks."""
    task = celery_app.tasks[name]  # NotRegistered here, not after the commit

    def send():
        try:
            task.delay(*args)
        except BrokerUnreachable as exc:
            logger.warning("broker unreachable, %s%r not queued: %s", task.name, args, exc)

    transaction.on_commit(send)


class TaskPoisoned(Exception):
    """A delivery that already started TASK_MAX_STARTS times without finishing."""


# The deliveries running in this process: a task retried eagerly runs inside its first run.
_running: ContextVar[frozenset] = ContextVar("running_deliveries", default=frozenset())


@contextmanager
def delivery_guard(key: str, *, name: str, poisoned):
    """Run the block unless the delivery `key` already started settings.TASK_MAX_STARTS times
    without finishing: then `poisoned(starts=…)` marks the task's own row failed and
    TaskPoisoned is raised. The start is committed before the block runs and forgotten when it
    returns or raises an Exception (a retry, which keeps its task id, is not a crash); only a
    worker that died — out of memory, killed, over the hard time limit — leaves it counted."""
    from .models import TaskDelivery

    if key in _running.get():
        yield
        return
    with transaction.atomic():
        delivery, _ = TaskDelivery.objects.select_for_update().get_or_create(key=key, defaults={"task_name": name})
        starts = delivery.starts
        if starts < settings.TASK_MAX_STARTS:
            delivery.starts = starts + 1
        delivery.save()
    if starts >= settings.TASK_MAX_STARTS:
        logger.error("%s [%s] started %d times without finishing: not run again", name, key, starts)
        poisoned(starts=starts)
        # The row stays, so the same delivery is refused again; the admin lists it.
        raise TaskPoisoned(f"started {starts} times without finishing (its worker died: out of memory, killed or "
                           f"over the time limit); not run again")
    token = _running.set(_running.get() | {key})
    try:
        yield
    except Exception:
        _finished(key, name)
        raise
    else:
        _finished(key, name)
    finally:
        # SystemExit and the like stay counted: the pool stops a child over its hard time limit
        # with SIGTERM, which exits through here.
        _running.reset(token)


def _finished(key, name):
    from .models import TaskDelivery

    try:
        TaskDelivery.objects.filter(key=key).delete()
    except DatabaseError:  # the database went away meanwhile: one start more is counted
        logger.warning("%s [%s]: its finish could not be recorded", name, key, exc_info=True)


class GuardedTask(Task):
    """Every task's base class (backoffice.celery): a poison-task guard. Tasks are acks_late and
    rejected when their worker is lost, so a task that kills its worker would be delivered
    again, forever; through `delivery_guard` a delivery that started TASK_MAX_STARTS times
    without finishing is marked failed (FAILURE in the result backend, and `poisoned` marks the
    task's own row failed) instead of being run again. A task passes `poisoned=` (a function of
    the task, the number of starts and the task's arguments) and, when its work may also be
    run outside its own delivery, `delivery_key=` (a function of the task and the arguments)."""

    def delivery_key(self, *args, **kwargs) -> str:
        return self.request.id

    def poisoned(self, starts, *args, **kwargs) -> None:
        """Mark the task's own row failed; most tasks have none."""

    def __call__(self, *args, **kwargs):
        if self.request.id is None:  # called as a function, not delivered
            return super().__call__(*args, **kwargs)
        with delivery_guard(self.delivery_key(*args, **kwargs), name=self.name,
                            poisoned=lambda starts: self.poisoned(starts, *args, **kwargs)):
            return self.run(*args, **kwargs)


def catch_up(ids, *, name: str, key, process, poisoned) -> int:
    """Process the rows `ids` left waiting (their task never queued, or died), each under its
    delivery's poison-task guard (`key(pk)`, `poisoned(pk, starts=…)`), as their task would;
    one that fails is logged and the next one is processed. How many there were."""
    for pk in ids:
        try:
            with delivery_guard(key(pk), name=name, poisoned=partial(poisoned, pk)):
                process(pk)
        except Exception:
            logger.exception("%s: %s failed", name, pk)
    return len(ids)
