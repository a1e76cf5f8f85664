"""The registry of periodic jobs. Each app registers its jobs in `AppConfig.ready()`.

After `migrate`, missing jobs are created in django-celery-beat's tables; jobs that exist
are left alone, so schedules edited by ops survive deploys.

The jobs page reads what beat keeps of each job (its last run, its count of runs) and the
result of its latest run (django-celery-results). A run ops start by hand ("Run now") is kept
the same way: queued as soon as it is sent, started and finished as the worker stores them,
and counted, with its time, when it finishes (beat counts the runs it sends).
"""

from dataclasses import dataclass

from celery import states
from celery.signals import task_postrun
from django.db import transaction
from django.db.models import F
from django.utils import timezone


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    description: str  # translatable: the jobs page shows it in the user's language
    every_seconds: int | None = None
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week"


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def register_periodic_job(job: PeriodicJob):
    if (job.every_seconds is None) == (job.crontab is None):
        raise ValueError(f"{job.name}: give either every_seconds or crontab.")
    PERIODIC_JOBS[job.name] = job


def periodic_jobs_install(**kwargs):
    """post_migrate receiver: create the registered jobs that are not in the database yet."""
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    existing = set(PeriodicTask.objects.values_list("name", flat=True))
    with transaction.atomic():
        for job in PERIODIC_JOBS.values():
            if job.name in existing:
                continue
            schedule = {}
            if job.every_seconds is not None:
                schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=job.every_seconds, period=IntervalSchedule.SECONDS
                )
            else:
                minute, hour, day_of_month, month_of_year, day_of_week = job.crontab.split()
                schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    minute=minute,
                    hour=hour,
                    day_of_month=day_of_month,
                    month_of_year=month_of_year,
                    day_of_week=day_of_week,
                    timezone=settings.TIME_ZONE,
                )
            PeriodicTask.objects.create(
                name=job.name, task=job.task, description=str(job.description), **schedule
            )


# The header that marks a run started by hand on its task message (job_run_now puts it there);
# the worker reads it back as an attribute of the task's request.
RUN_NOW_HEADER = "run_now"
# What a run's latest stored status is while it has not finished.
IN_PROGRESS = frozenset({states.PENDING, states.RECEIVED, states.STARTED, states.RETRY})


def job_run_queued(*, job, task_id: str) -> None:
    """A run of `job` was sent: the jobs page shows it queued until the worker stores its progress."""
    from django_celery_results.models import TaskResult

    TaskResult.objects.store_result("application/json", "utf-8", task_id, None, states.PENDING,
                                    periodic_task_name=job.name, task_name=job.task)


@task_postrun.connect(dispatch_uid="backoffice.jobs.job_run_finished")
def job_run_finished(task=None, state=None, **kwargs):
    """In the worker, after a task ran: a run started by hand that finished counts as a run of
    its job, at this time, as beat counts the runs it sends."""
    request = task.request
    name = getattr(request, "periodic_task_name", None)
    if state not in states.READY_STATES or not getattr(request, RUN_NOW_HEADER, False) or not name:
        return
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    if PeriodicTask.objects.filter(name=name).update(last_run_at=timezone.now(),
                                                     total_run_count=F("total_run_count") + 1):
        # Beat reloads its schedule from the database (else its own count, saved after its next
        # run of the job, would overwrite this one).
        PeriodicTasks.update_changed()
