"""Changes to the goals (each in the audit log), and their weekly digest to the managers."""

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.audit import audit_record
from backoffice.roles import emails_with_perm

from .goals import current_goals, progress
from .models import Goal, GoalDigest

DIGEST_PERMISSION = "analytics.view_goal"

AUDITED = ("metric", "direction", "target", "start", "end", "dimension", "dimension_value", "name")


def _figures(goal: Goal) -> dict:
    return {field: str(getattr(goal, field)) for field in AUDITED}


def goal_save(*, goal: Goal, user) -> Goal:
    """Create or change `goal` (as its form cleaned it)."""
    before = _figures(Goal.objects.get(pk=goal.pk)) if goal.pk else {}
    with transaction.atomic():
        if goal.pk is None:
            goal.created_by = user
        goal.save()
        audit_record(actor=user, action="goal.saved", obj=goal, before=before, after=_figures(goal))
    return goal


def goal_delete(*, goal: Goal, user) -> None:
    with transaction.atomic():
        audit_record(actor=user, action="goal.deleted", obj=goal, before=_figures(goal), note=str(goal))
        goal.delete()


def goals_digest_send(*, today: date | None = None) -> int:
    """E-mail the managers this week's goals (their progress, pace and status), once a week: a second
    run in the same week sends nothing. How many were e-mailed."""
    today = today or timezone.localdate()
    week = today - timedelta(days=today.weekday())
    recipients = emails_with_perm(DIGEST_PERMISSION)
    rows = progress(current_goals(today=today), today=today)
    if not recipients or not rows:
        return 0
    try:
        with transaction.atomic():
            GoalDigest.objects.create(week=week, recipients=len(recipients))
            context = {"week": week, "rows": rows, "link": settings.SITE_URL.rstrip("/") + reverse("analytics:goals")}
            with translation.override(settings.LANGUAGE_CODE):
                subject = render_to_string("analytics/email/goals_subject.txt", context).strip()
                body = render_to_string("analytics/email/goals.txt", context)
            EmailMessage(subject=subject, body=body, to=recipients).send()
    except IntegrityError:  # this week's was sent
        return 0
    return len(recipients)
