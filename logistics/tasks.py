"""Logistics jobs: the tracking e-mail of a shipped order, the tracking check of the open parcels, the
carriers' notifications processed (and those left waiting caught up), the daily list of late parcels."""

import logging

from celery import shared_task

from backoffice.integrations.errors import ProviderError
from backoffice.queueing import RETRY_MAIL, RETRY_TRANSIENT

from . import notifications, services
from .promises import promise_report_send

logger = logging.getLogger(__name__)


@shared_task(**RETRY_MAIL)
def email_tracking(order_id):
    """E-mail the customer where the parcels of a shipped order are; a second run sends nothing."""
    return services.tracking_email_send(order_id=order_id)


@shared_task(**RETRY_TRANSIENT)
def check_tracking():
    """Ask the carriers for the events of the open parcels whose check is due; how many were new.
    A carrier that fails is tried again later (its parcels' next check set), the others go on."""
    new = 0
    for shipment in services.shipments_due_for_tracking():
        try:
            new += services.tracking_check(shipment=shipment)
        except ProviderError as exc:
            logger.warning("tracking of %s failed: %s", shipment.tracking_code, exc)
    return new


@shared_task(**RETRY_MAIL)
def flag_late_shipments():
    """E-mail staff the day's late and at-risk parcels, once a day (a rerun sends nothing); their counts."""
    return promise_report_send()


def _notification_poisoned(task, starts, notification_id):
    notifications.notification_stopped_the_worker(notification_id=notification_id, starts=starts)


@shared_task(**RETRY_TRANSIENT, poisoned=_notification_poisoned)
def process_notification(notification_id):
    """Record a stored notification's events on its parcel (a processed one is left alone: reruns are safe)."""
    notifications.notification_process(notification_id=notification_id)


@shared_task(**RETRY_TRANSIENT)
def process_waiting_notifications():
    """Catch up on the notifications stored while the broker was down (their task never queued)."""
    return notifications.notifications_catch_up()
