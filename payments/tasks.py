"""Payment jobs."""

from celery import shared_task

from backoffice.tasks import RETRY_TRANSIENT

from . import cashflow, services
from .providers import ProviderError


@shared_task(autoretry_for=(ProviderError, *RETRY_TRANSIENT["autoretry_for"]), retry_backoff=True, max_retries=5)
def process_webhook(event_id):
    """Process a stored notification (a processed one is left alone, so reruns are safe)."""
    services.webhook_process(event_id=event_id)


@shared_task(**RETRY_TRANSIENT)
def settle_receivables():
    """The providers' releases of the day into the cash-flow register (reruns settle nothing twice)."""
    return cashflow.receivables_settle()
