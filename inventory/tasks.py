"""Inventory jobs."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reorder_check():
    """Daily: flag the SKUs at or under their reorder point, with a suggested purchase."""
    return services.reorder_check(day=timezone.localdate())
