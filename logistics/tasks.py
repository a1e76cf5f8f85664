"""Logistics jobs: the tracking e-mail of a shipped order, the tracking check of the open parcels."""

import logging

from celery import shared_task

from backoffice.integrations.errors import ProviderError
from backoffice.queueing import RETRY_TRANSIENT

from . import services

logger = logging.getLogger(__name__)


@shared_task(**RETRY_TRANSIENT)
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
