"""The home page per role: the counts of what waits for the user (backoffice.worklist), each linked to
the list that shows exactly that many rows; the counts of other roles not shown; the same queries
whatever there is to count."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from backoffice.tasks import heartbeat
from logistics.models import Carrier, CarrierService, ReturnRequest, Shipment
from orders.models import Customer, Order, Status
from payments.models import Payment, ProviderAccount, Receivable, WebhookEvent

pytestmark = pytest.mark.django_db

# What each role's home page counts, by the list each count links to.
STAFF = {"/orders/?queue=true": 2, "/orders/?held=true": 3, "/orders/?status=ready_to_ship": 4,
         "/logistics/late/?watch=late": 5}
FINANCE = {"/payments/webhooks/?status=failed": 2, "/payments/receivables/?overdue=true": 3,
           "/logistics/returns/?status=inspected": 4, "/payments/?provider=manual&status=pending": 5}
OPS = {"/jobs/?last_status=FAILURE": 3, "/health/": 1}
MANAGER = {"/payments/?provider=manual&status=pending": 5}
CARD = re.compile(r'<a class="card[^"]*work-card[^"]*" href="([^"]+)" data-count="(\d+)">(.*?)</a>', re.S)


def cards(page: str) -> dict[str, int]:
    """The home page's count cards: each one's link and the count it shows."""
    return {html.unescape(url): int(count) for url, count, _text in CARD.findall(page)}


def card_text(page: str, url: str) -> str:
    """What a card reads aloud: its whole text, spaces folded."""
    text = next(text for href, _count, text in CARD.findall(page) if html.unescape(href) == url)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def _orders(count, start, **fields):
    customer = Customer.objects.get_or_create(document="39053344705", defaults={"name": "Maria da Silva"})[0]
    return Order.objects.bulk_create([
        Order(number=start + i, customer=customer, ship_recipient=customer.name, ship_cep="01310100",
              ship_street="Avenida Paulista", ship_number="1000", ship_district="Bela Vista",
              ship_city_code="3550308", ship_city_name="São Paulo", ship_uf="SP", **fields)
        for i in range(count)])


def staff_work(times=1, start=1000):
    """`times` × (2 orders to validate, 3 held out of stock, 4 ready to ship, 5 late parcels), and
    an order or a parcel beside each that is not counted."""
    today = timezone.localdate()
    _orders(2 * times, start, status=Status.PAID, validation_failures=[{"code": "order.check.address"}])
    _orders(1, start + 100, status=Status.PAID)  # passed its checks: on its way to shipping
    _orders(3 * times, start + 200, hold={"code": "inventory.insufficient", "params": {}})
    _orders(1, start + 300, status=Status.AWAITING_PAYMENT)  # its stock reserved
    _orders(4 * times, start + 400, status=Status.READY_TO_SHIP)
    shipped = _orders(1, start + 500, status=Status.SHIPPED)[0]
    carrier = Carrier.objects.get_or_create(code="jadlog", defaults={"name": "Jadlog"})[0]
    service = CarrierService.objects.get_or_create(carrier=carrier, code="package", defaults={"name": ".Package"})[0]
    parcels = [Shipment(order=shipped, service=service, status=Shipment.Status.SHIPPED, tracking_code=f"L{start}{i}",
                        promised_on=today - timedelta(days=i + 1), shipped_at=timezone.now())
               for i in range(5 * times)]
    # At risk, not late: due tomorrow and not out for delivery.
    parcels.append(Shipment(order=shipped, service=service, status=Shipment.Status.SHIPPED,
                            tracking_code=f"R{start}", promised_on=today + timedelta(days=1),
                            shipped_at=timezone.now()))
    Shipment.objects.bulk_create(parcels)
    return shipped


def finance_work(times=1, start=2000):
    """`times` × (2 failed webhooks, 3 overdue receivables, 4 returns to refund, 5 manual payments
    awaiting approval), and one beside each that is not counted."""
    today = timezone.localdate()
    manual = ProviderAccount.objects.get_or_create(provider="manual", defaults={"name": "Pix da loja"})[0]
    WebhookEvent.objects.bulk_create(
        [WebhookEvent(account=manual, status=WebhookEvent.Status.FAILED, error="boom") for _ in range(2 * times)]
        + [WebhookEvent(account=manual, status=WebhookEvent.Status.PROCESSED)])

    def payment(ref, provider="manual", status=Payment.Status.APPROVED):
        return Payment(account=manual, provider=provider, provider_payment_id=f"{ref}-{start}", method="pix",
                       status=status, gross=Decimal("100.00"), net=Decimal("100.00"))

    Payment.objects.bulk_create([payment(f"P{i}", status=Payment.Status.PENDING) for i in range(5 * times)]
                                + [payment("APPROVED"), payment("MP", provider="mercadopago",
                                                                status=Payment.Status.PENDING)])
    paid = payment("RECEIVABLES")
    paid.save()
    # Overdue this month or months ago; the others due today, in the future, or past but settled.
    due = [(today - timedelta(days=days), Receivable.Status.EXPECTED) for days in (1, 40, 70)] * times
    due += [(today, Receivable.Status.EXPECTED), (today + timedelta(days=3), Receivable.Status.EXPECTED),
            (today - timedelta(days=2), Receivable.Status.SETTLED)]
    Receivable.objects.bulk_create([
        Receivable(payment=paid, number=i + 1, due_date=day, status=status, gross=Decimal("10.00"),
                   fee=Decimal("1.00"), net=Decimal("9.00")) for i, (day, status) in enumerate(due)])
    order = _orders(1, start, status=Status.DELIVERED)[0]
    ReturnRequest.objects.bulk_create(
        [ReturnRequest(order=order, reason=ReturnRequest.Reason.REGRET, status=ReturnRequest.Status.INSPECTED)
         for _ in range(4 * times)]
        + [ReturnRequest(order=order, reason=ReturnRequest.Reason.DEFECT, status=ReturnRequest.Status.RECEIVED)])


def ops_work(times=1, start=0):
    """`times` × 3 jobs whose last run failed, one whose failure was followed by a success, and beat
    running but no worker's heartbeat (1 of the 2 down)."""
    now = timezone.now()
    every = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)[0]
    runs = [("FAILURE",)] * 3 * times + [("FAILURE", "SUCCESS")]
    for i, outcomes in enumerate(runs, start=start):
        job = PeriodicTask.objects.create(name=f"job-{i}", task=f"demo.task_{i}", interval=every, last_run_at=now)
        TaskResult.objects.bulk_create([
            TaskResult(task_id=f"{job.name}-{run}", task_name=job.task, periodic_task_name=job.name, status=status,
                       date_done=now - timedelta(minutes=10 - run)) for run, status in enumerate(outcomes)])


@pytest.fixture
def work():
    staff_work()
    finance_work()
    ops_work()


def rows_shown(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    if url == "/health/":  # the checks, not a table: those down
        return response.content.decode().count('data-check-ok="false"')
    return response.context["table"].page.paginator.count


@pytest.mark.parametrize("role, counts", [("staff", STAFF), ("finance", FINANCE), ("ops", OPS),
                                          ("manager", MANAGER)])
def test_each_role_sees_its_counts_each_linked_to_a_list_of_exactly_that_many_rows(client_as, work, role, counts):
    client = client_as(role)
    page = client.get("/").content.decode()
    shown = cards(page)
    assert {url: shown.get(url) for url in counts} == counts
    assert {url: rows_shown(client, url) for url in counts} == counts


@pytest.mark.parametrize("role, others", [
    ("staff", [FINANCE, OPS]),
    ("finance", [STAFF, OPS]),
    # Ops replay failed webhooks as finance does, and nothing else of finance's.
    ("ops", [STAFF, {url: n for url, n in FINANCE.items() if "webhooks" not in url}]),
    ("manager", [STAFF, OPS, {url: n for url, n in FINANCE.items() if url not in MANAGER}]),
])
def test_a_role_does_not_see_the_counts_of_another_role(client_as, work, role, others):
    shown = cards(client_as(role).get("/").content.decode())
    assert not any(url in shown for other in others for url in other)


def test_ops_see_the_failed_webhooks_finance_sees(client_as, work):
    assert cards(client_as("ops").get("/").content.decode())["/payments/webhooks/?status=failed"] == 2


def test_each_card_reads_its_count_and_label_under_its_apps_section(client_as, work):
    page = client_as("staff").get("/").content.decode()
    assert card_text(page, "/orders/?queue=true") == f"2 {gettext('Orders to validate')}"
    assert card_text(page, "/logistics/late/?watch=late") == f"5 {gettext('Late parcels')}"
    assert re.findall(r'<h2 class="h6[^"]*" id="work-\d">([^<]+)</h2>', page) == ["Pedidos", "Logística"]


def test_the_worker_down_is_named_under_its_count(client_as, work):
    page = client_as("ops").get("/").content.decode()
    assert card_text(page, "/health/") == f"1 {gettext('Worker or beat down')} Heartbeat do worker"


def test_a_zero_is_shown_muted_and_still_links_to_its_list(client_as):
    page = client_as("staff").get("/").content.decode()
    assert cards(page) == dict.fromkeys(STAFF, 0)
    assert page.count("text-body-tertiary") == len(STAFF) and "border-secondary" in page


def test_a_user_without_any_count_gets_an_empty_state_and_no_menu_grid(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody"))
    page = client.get("/").content.decode()
    assert 'data-testid="empty-state"' in page
    assert cards(page) == {} and 'data-testid="work-section"' not in page


def test_the_home_page_runs_the_same_queries_whatever_there_is_to_count(client_as, work):
    client = client_as("admin")
    client.get("/")  # the session and permission caches warmed
    with CaptureQueriesContext(connection) as before:
        first = cards(client.get("/").content.decode())
    staff_work(times=2, start=5000)
    finance_work(times=2, start=6000)
    ops_work(times=2, start=100)
    with CaptureQueriesContext(connection) as after:
        again = cards(client.get("/").content.decode())
    assert again["/orders/?queue=true"] == first["/orders/?queue=true"] + 4
    assert again["/jobs/?last_status=FAILURE"] == first["/jobs/?last_status=FAILURE"] + 6
    assert len(after) == len(before), "\n".join(query["sql"] for query in after.captured_queries)
