"""The poison-task guard: a delivery that started TASK_MAX_STARTS times without finishing (its
worker died each time) is not run again but failed with its reason, on the task's result and on
the task's own row; a delivery that finishes — or is retried — leaves nothing counted."""

import pytest
from django.core.files.base import ContentFile
from django_celery_results.models import TaskResult

from backoffice.celery import app as celery_app
from backoffice.models import ImportFile, TaskDelivery
from backoffice.queueing import GuardedTask, TaskPoisoned, delivery_guard
from backoffice.tasks import import_process_task
from inventory.models import Product
from payments.models import ProviderAccount, WebhookEvent
from payments.tasks import process_webhook
from tests.payments.conftest import mercadopago_api  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

CATALOG = b"sku,name,ncm,price\nA,Caneca,69120000,35.00\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def results_stored(monkeypatch):
    """Eager runs store their result as a worker's do (the Jobs and run-log screens read them)."""
    for task in (import_process_task, process_webhook):
        monkeypatch.setattr(task, "store_eager_result", True)


@pytest.fixture
def waiting_import(role_user):
    return ImportFile.objects.create(kind="inventory.catalog", file=ContentFile(CATALOG, name="c.csv"),
                                     original_name="c.csv", uploaded_by=role_user("staff"))


def crashed(key, times):
    """What workers that died in the delivery `key` `times` times leave behind."""
    TaskDelivery.objects.create(key=key, task_name="a task", starts=times)


def test_every_task_of_the_project_is_guarded():
    celery_app.loader.import_default_modules()  # every app's tasks, as a worker loads them
    ours = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert {"payments.tasks.process_webhook", "backoffice.tasks.import_process_task"} <= set(ours)
    assert all(isinstance(task, GuardedTask) for task in ours.values())


def test_an_import_whose_workers_died_three_times_is_not_run_again_but_failed(waiting_import, results_stored):
    crashed(f"import:{waiting_import.pk}", 3)
    result = import_process_task.apply(args=[waiting_import.pk])
    assert result.failed() and isinstance(result.result, TaskPoisoned)
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "FAILURE" and "started 3 times without finishing" in stored.result
    waiting_import.refresh_from_db()
    assert waiting_import.status == "failed"
    assert waiting_import.report == [{"row": None, "errors": [
        "o processamento derrubou o worker 3 vezes; o arquivo foi guardado para a equipe."]}]
    assert not Product.objects.exists()  # its body did not run
    assert import_process_task.apply(args=[waiting_import.pk]).failed()  # and never will


def test_a_delivery_that_crashed_fewer_times_runs_and_is_then_forgotten(waiting_import):
    crashed(f"import:{waiting_import.pk}", 2)
    assert import_process_task.apply(args=[waiting_import.pk]).successful()
    waiting_import.refresh_from_db()
    assert waiting_import.status == "done" and Product.objects.get().sku == "A"
    assert not TaskDelivery.objects.exists()


def test_a_webhook_whose_workers_died_three_times_is_failed_with_the_reason(
        mercadopago_api, results_stored):  # noqa: F811
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token"})
    event = WebhookEvent.objects.create(account=account, resource_id="20359978")
    crashed("webhook-task-id", 3)
    result = process_webhook.apply(args=[event.pk], task_id="webhook-task-id")
    assert isinstance(result.result, TaskPoisoned)
    assert TaskResult.objects.get(task_id="webhook-task-id").status == "FAILURE"
    event.refresh_from_db()
    assert (event.status, event.error) == ("failed", "processing stopped the worker 3 times")
    assert not mercadopago_api.requests  # not fetched: its body did not run


def test_retries_are_not_crashes(mercadopago_api):  # noqa: F811
    # The API does not know the payment: ProviderError, retried five times with the same task id.
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                             credentials={"access_token": "APP_USR-token"})
    event = WebhookEvent.objects.create(account=account, resource_id="404404")
    result = process_webhook.apply(args=[event.pk])
    assert not isinstance(result.result, TaskPoisoned)
    event.refresh_from_db()
    assert event.status == "failed" and "404" in event.error
    assert not TaskDelivery.objects.exists()


def test_a_delivery_the_pool_stopped_stays_counted_and_one_that_raised_is_forgotten():
    refused = []
    # Over the hard time limit the pool sends SIGTERM, which leaves the task as SystemExit.
    for _ in range(3):
        with pytest.raises(SystemExit), delivery_guard("stopped", name="a task", poisoned=None):
            raise SystemExit(1)
    assert TaskDelivery.objects.get(key="stopped").starts == 3
    with pytest.raises(TaskPoisoned), delivery_guard("stopped", name="a task",
                                                     poisoned=lambda starts: refused.append(starts)):
        raise AssertionError("not run")
    assert refused == [3]

    with pytest.raises(ValueError), delivery_guard("raised", name="a task", poisoned=None):
        raise ValueError("a bug, reported as the task's failure")
    assert not TaskDelivery.objects.filter(key="raised").exists()
