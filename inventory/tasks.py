"""Inventory jobs."""

from celery import shared_task
from django.utils import timezone

from backoffice.queueing import RETRY_TRANSIENT

from . import services


@shared_task(**RETRY_TRANSIENT)
def reorder_check():
    """Daily: flag the SKUs at or under their reorder point, with a suggested purchase."""
    return services.reorder_check(day=timezone.localdate())
