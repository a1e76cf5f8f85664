"""The stock lists, the customer and survey-answer lists and the jobs list run the same number of
queries for a page of 25 rows as for one of 100."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from django_celery_results.models import TaskResult

from inventory import services
from inventory.models import ReorderAlert, Warehouse
from orders.models import Channel, Customer, Order, SurveyAnswer
from tests.factories import ProductFactory, WarehouseFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db
ROWS = 110


@pytest.fixture
def many_rows(role_user):
    """ROWS products, each low on stock (one unit received, reorder point 5: a movement each) with
    a reorder alert; ROWS warehouses; ROWS customers, each with an order answered in the survey."""
    main = Warehouse.objects.get(code="principal")
    products = [ProductFactory(reorder_point=5) for _ in range(ROWS)]
    for product in products:
        services.stock_receive(product=product, warehouse=main, quantity=1, unit_cost=Decimal("1"), user=None)
    ReorderAlert.objects.bulk_create([
        ReorderAlert(product=p, day=timezone.localdate(), available=1, reorder_point=5, sold_last_30_days=0,
                     suggested_quantity=5) for p in products])
    for _ in range(ROWS):
        WarehouseFactory()
    customers = Customer.objects.bulk_create([Customer(name=f"Cliente {i:03d}", document=f"{i:011d}")
                                              for i in range(ROWS)])
    channels = list(Channel)
    orders = Order.objects.bulk_create([
        Order(number=90000 + i, customer=customer, channel=channels[i % len(channels)], ship_recipient=customer.name,
              ship_cep="01310100", ship_street="Avenida Paulista", ship_number=str(i), ship_district="Bela Vista",
              ship_city_code="3550308", ship_city_name="São Paulo", ship_uf="SP")
        for i, customer in enumerate(customers)])
    SurveyAnswer.objects.bulk_create([SurveyAnswer(order=order, score=i % 11, comment=f"Comentário {i}")
                                      for i, order in enumerate(orders)])


@pytest.fixture
def many_jobs():
    """ROWS periodic jobs, each on a schedule of its own (interval, crontab, clocked or solar), with
    two runs recorded, the last of them a failure."""
    now = timezone.now()
    kinds = [
        ("interval", IntervalSchedule, lambda i: {"every": i + 1, "period": IntervalSchedule.MINUTES}),
        ("crontab", CrontabSchedule, lambda i: {"minute": str(i % 60), "hour": str(i % 24)}),
        ("clocked", ClockedSchedule, lambda i: {"clocked_time": now + timedelta(days=i)}),
        ("solar", SolarSchedule, lambda i: {"event": "sunrise", "latitude": Decimal(i % 90), "longitude": Decimal(i)}),
    ]
    jobs = []
    for i in range(ROWS):
        field, model, values = kinds[i % len(kinds)]
        jobs.append(PeriodicTask(name=f"job-{i:03d}", task=f"demo.task_{i}", last_run_at=now, total_run_count=2,
                                 one_off=field == "clocked", **{field: model.objects.create(**values(i))}))
    PeriodicTask.objects.bulk_create(jobs)
    TaskResult.objects.bulk_create([
        TaskResult(task_id=f"{job.name}-{run}", task_name=job.task, periodic_task_name=job.name, status=status,
                   result='"boom"' if status == "FAILURE" else "null", date_done=now - timedelta(minutes=10 - run))
        for job in jobs for run, status in enumerate(("SUCCESS", "FAILURE"))])


@pytest.mark.parametrize("url", ["/inventory/ledger/", "/inventory/low-stock/", "/inventory/low-stock/alerts/",
                                 "/inventory/warehouses/", "/orders/customers/", "/orders/survey/answers/"])
def test_a_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, many_rows, url):
    counts, shown = queries_per_page_size(client_as("admin"), url)
    assert shown == [25, 100]
    assert counts[0] == counts[1]


def test_the_jobs_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, many_jobs):
    counts, shown = queries_per_page_size(client_as("admin"), "/jobs/")
    assert shown == [25, 100]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("url, typed", [("/inventory/products/", "prodúto"), ("/inventory/ledger/", "PRODUTO"),
                                        ("/inventory/low-stock/alerts/", "produto"), ("/orders/customers/", "clíente")])
def test_a_searched_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, many_rows, url, typed):
    counts, shown = queries_per_page_size(client_as("admin"), url, {"q": typed})
    assert shown == [25, 100]
    assert counts[0] == counts[1]
