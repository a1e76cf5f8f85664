"""The registry of periodic jobs. Each app registers its jobs in `AppConfig.ready()`.

After `migrate`, missing jobs are created in django-celery-beat's tables; jobs that exist
are left alone, so schedules edited by ops survive deploys.
"""

from dataclasses import dataclass

from django.db import transaction


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
