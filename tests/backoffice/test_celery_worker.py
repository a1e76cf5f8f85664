"""A real Celery worker process, a real broker: the task goes out and the result comes back."""

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django_celery_results.models import TaskResult

from backoffice.selectors import health_checks
from backoffice.tasks import heartbeat


def _database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_process_runs_a_task_sent_through_redis_and_stores_its_result():
    queue = f"test-{uuid.uuid4().hex}"
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "-Q", queue,
            "--without-gossip", "--without-mingle", "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": _database_url()},
    )
    try:
        result = heartbeat.apply_async(queue=queue)
        stamp = result.get(timeout=90)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "backoffice.tasks.heartbeat"
    assert stamp in stored.result
    assert next(check for check in health_checks() if check.key == "worker").ok
