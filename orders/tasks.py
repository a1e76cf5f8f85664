"""Order jobs: the post-sale survey, the orders posted to the API."""

from celery import shared_task

from backoffice.queueing import RETRY_TRANSIENT

from . import services


@shared_task(**RETRY_TRANSIENT)
def send_survey(order_id):
    """E-mail the post-sale survey link; a second run for the same order sends nothing."""
    return services.survey_send(order_id=order_id)


def _inbox_delivery_key(task, inbox_id) -> str:
    return services.order_inbox_delivery_key(inbox_id)


def _inbox_poisoned(task, starts, inbox_id):
    services.order_inbox_stopped_the_worker(inbox_id=inbox_id, starts=starts)


@shared_task(delivery_key=_inbox_delivery_key, poisoned=_inbox_poisoned, **RETRY_TRANSIENT)
def process_inbox(inbox_id):
    """Make an order posted to the API (a processed one is left alone, so reruns are safe)."""
    services.order_inbox_process(inbox_id=inbox_id)


@shared_task(**RETRY_TRANSIENT)
def process_waiting_inbox():
    """Catch up on the orders posted to the API and left waiting (their task never queued)."""
    return services.order_inbox_catch_up()
