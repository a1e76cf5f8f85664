"""A real Celery worker process, a real broker: the task goes out and the result comes back."""

import uuid

import pytest
from django_celery_results.models import TaskResult

from backoffice.selectors import health_checks
from backoffice.tasks import heartbeat
from tests.workers import start_worker


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_process_runs_a_task_sent_through_redis_and_stores_its_result():
    queue = f"test-{uuid.uuid4().hex}"
    worker = start_worker("-Q", queue)
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
