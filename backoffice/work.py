"""What waits for ops, counted for the home page (backoffice.worklist): the jobs whose last run
failed, and the worker or beat down, as the health page tells."""

from celery import states
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import heartbeat_checks, jobs_list
from .worklist import WorkCount


def job_work() -> list[WorkCount]:
    count = jobs_list().filter(last_status=states.FAILURE).count()
    return [WorkCount(_("Jobs failed"), count, f"{reverse('jobs')}?last_status={states.FAILURE}", "danger")]


def heartbeat_work() -> list[WorkCount]:
    down = [check for check in heartbeat_checks() if not check.ok]
    return [WorkCount(_("Worker or beat down"), len(down), reverse("health"), "danger",
                      detail=", ".join(str(check.name) for check in down))]
