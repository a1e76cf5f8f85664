"""Payment jobs."""

from celery import shared_task
from django.conf import settings

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request
from backoffice.queueing import RETRY_TRANSIENT

from . import cashflow, services


def _webhook_poisoned(task, starts, event_id):
    services.webhook_stopped_the_worker(event_id=event_id, starts=starts)


@shared_task(autoretry_for=(ProviderError, *RETRY_TRANSIENT["autoretry_for"]), retry_backoff=True, max_retries=5,
             poisoned=_webhook_poisoned)
def process_webhook(event_id):
    """Process a stored notification (a processed one is left alone, so reruns are safe)."""
    services.webhook_process(event_id=event_id)


@shared_task(**RETRY_TRANSIENT)
def process_waiting_webhooks():
    """Catch up on the notifications stored while the broker was down (their task never queued)."""
    return services.webhooks_catch_up()


@shared_task(**RETRY_TRANSIENT)
def settle_receivables():
    """The providers' releases of the day into the cash-flow register (reruns settle nothing twice)."""
    return cashflow.receivables_settle()


@shared_task(autoretry_for=(ProviderError,), retry_backoff=True, max_retries=5)
def sandbox_deliver(path, headers, body):
    """Sandbox mode: deliver a provider's notification to our own webhook endpoint, as the
    provider would; its answer's status is the result (an unreachable endpoint is retried)."""
    # Answered, whatever the status: a refusal is kept, with its reason, in the webhook inbox. Unreachable:
    # ProviderError, retried by the task (one attempt per run).
    answer = request("POST", f"{settings.SITE_URL.rstrip('/')}{path}", headers=headers, body=body.encode(),
                     attempts=1, check=False)
    return answer.status_code
