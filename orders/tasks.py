"""Order jobs."""

from celery import shared_task

from backoffice.queueing import RETRY_TRANSIENT

from . import services


@shared_task(**RETRY_TRANSIENT)
def send_survey(order_id):
    """E-mail the post-sale survey link; a second run for the same order sends nothing."""
    return services.survey_send(order_id=order_id)
