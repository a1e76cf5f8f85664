"""Spreadsheet bombs against a real worker on Redis: each ends as a rejected import with its
reason, in bounded time and memory, and the worker goes on with its other work; an import that
outlives the hard time limit (its process killed each time) is failed after TASK_MAX_STARTS
starts and not run again."""

import time
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django_celery_results.models import TaskResult

from backoffice.models import ImportFile, TaskDelivery
from backoffice.tasks import heartbeat, import_process_task
from inventory.models import Product
from payments.models import ProviderAccount, WebhookEvent
from payments.providers.mercadopago.sandbox import sample_payment
from payments.tasks import process_webhook
from tests.backoffice.test_import_files import BOMBS
from tests.payments.conftest import make_order, mercadopago_api  # noqa: F401 (fixtures)
from tests.workers import start_worker

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True,
                                                                            serialized_rollback=True)]


def _wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def peak_memory_mb(pid) -> int:
    """The process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) // 1024


def store(user, content, name, kind="inventory.count"):
    return ImportFile.objects.create(kind=kind, file=ContentFile(content, name=name), original_name=name,
                                     uploaded_by=user)


def test_spreadsheet_bombs_end_rejected_in_bounded_time_and_memory_and_the_worker_goes_on(
        settings, tmp_path, role_user, mercadopago_api, make_order):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    user = role_user("staff")
    records = {case: store(user, build(), name) for case, (name, build, _) in BOMBS.items()}
    order = make_order(Decimal("58.80"))
    mercadopago_api.payments["20359978"] = sample_payment(external_reference=str(order.number))
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token"})
    event = WebhookEvent.objects.create(account=account, resource_id="20359978")
    queue = f"test-{uuid.uuid4().hex}"
    worker = start_worker("-Q", queue, MEDIA_ROOT=str(tmp_path), MERCADOPAGO_API_URL=mercadopago_api.url)
    try:
        heartbeat.apply_async(queue=queue).get(timeout=90)  # started
        began = time.monotonic()
        for record in records.values():
            import_process_task.apply_async(args=[record.pk], queue=queue)
        waiting = ImportFile.objects.filter(status="pending")
        _wait_for(lambda: not waiting.exists(), 60)
        assert time.monotonic() - began < 60
        assert peak_memory_mb(worker.pid) < 400
        for case, record in records.items():
            record.refresh_from_db()
            assert record.status == "rejected", case
            assert BOMBS[case][2] in record.report[0]["errors"][0], case
        # And it still does the rest of the work: a notification is processed.
        process_webhook.apply_async(args=[event.pk], queue=queue)
        _wait_for(lambda: WebhookEvent.objects.get(pk=event.pk).status == "processed", 60)
        assert worker.poll() is None  # alive
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_an_import_killed_at_the_hard_time_limit_is_failed_after_three_starts_and_not_run_again(
        settings, tmp_path, role_user):
    settings.MEDIA_ROOT = tmp_path
    # Valid, but far longer than the worker's one-second limit allows.
    rows = "".join(f"SKU-{n},Produto {n},61091000,{n % 90 + 10}.90\n" for n in range(20_000))
    record = store(role_user("staff"), ("sku,name,ncm,price\n" + rows).encode(), "big.csv", kind="inventory.catalog")
    queue = f"test-{uuid.uuid4().hex}"
    worker = start_worker("-Q", queue, "--pool=prefork", "--concurrency=1", MEDIA_ROOT=str(tmp_path),
                          CELERY_TASK_TIME_LIMIT="1")
    try:
        # The limits travel with the message, as the sender (with CELERY_TASK_TIME_LIMIT=1) has them.
        result = import_process_task.apply_async(args=[record.pk], queue=queue, time_limit=1, soft_time_limit=None)
        _wait_for(lambda: ImportFile.objects.get(pk=record.pk).status != "pending", 120)
        record.refresh_from_db()
        assert record.status == "failed"
        assert record.report[0]["errors"] == ["o processamento derrubou o worker 3 vezes; o arquivo foi guardado "
                                              "para a equipe."]
        _wait_for(lambda: TaskResult.objects.filter(task_id=result.id, status="FAILURE",
                                                    result__contains="TaskPoisoned").exists(), 30)
        assert TaskDelivery.objects.get(key=f"import:{record.pk}").starts == 3  # the three that were killed
        assert not Product.objects.exists()
        assert heartbeat.apply_async(queue=queue).get(timeout=30)  # the worker goes on
    finally:
        worker.terminate()
        worker.wait(timeout=30)
