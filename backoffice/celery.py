"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered in every app,
every task guarded against a delivery that keeps killing its worker (backoffice.queueing.GuardedTask)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice", task_cls="backoffice.queueing:GuardedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The embedded filesystem broker needs its folders before the first message.
for folder in (app.conf.broker_transport_options or {}).values():
    if isinstance(folder, str):
        Path(folder).mkdir(parents=True, exist_ok=True)
