"""Analytics jobs: the rollups' stale days recomputed; the weekly goals digest; the scheduled reports."""

from celery import shared_task

from backoffice.queueing import RETRY_MAIL, RETRY_TRANSIENT

from . import reports, rollups, services


@shared_task(**RETRY_TRANSIENT)
def refresh():
    """Recompute the rollups' stale days (safe to run in several workers at once)."""
    return rollups.refresh()


@shared_task(**RETRY_MAIL)
def email_goals():
    """E-mail the managers the week's goals (once a week, however often it runs)."""
    return services.goals_digest_send()


@shared_task(**RETRY_MAIL)
def send_scheduled_reports():
    """E-mail the scheduled reports whose hour has come (each slot once, however often it runs)."""
    return reports.reports_send_due()
