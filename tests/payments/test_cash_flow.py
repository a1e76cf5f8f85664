"""The cash-flow register: settled receivables, refunds and chargebacks, finance's entries,
and the period page where opening + in − out = closing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.dates import period_bounds
from payments.cashflow import cash_chart, cash_entry_book, cash_period, receivables_settle
from payments.models import CashEntry, Payment, ProviderAccount, Receivable
from payments.providers.mercadopago import MercadoPago
from payments.providers.mercadopago.sandbox import sample_payment
from payments.services import payment_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials={"webhook_secret": "s"})


def entry(day, category, amount, status="realized"):
    return cash_entry_book(date=day, category=category, amount=Decimal(amount), status=status, description=category)


def approved(account, **changes):
    changes = {"id": 501, "installments": 3, **changes}
    return payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        transaction_amount=100.00,
        date_approved="2026-03-10T15:00:00.000-03:00",
        transaction_details={"net_received_amount": 94.99, "total_paid_amount": 100.0}, **changes)))


def test_a_month_opens_with_what_came_before_and_closes_with_opening_plus_in_minus_out(client_as):
    entry(date(2026, 2, 27), "other_income", "1000.10")
    entry(date(2026, 2, 28), "suppliers", "200.20")
    entry(date(2026, 3, 1), "sales", "0.10")
    entry(date(2026, 3, 1), "sales", "0.20")
    entry(date(2026, 3, 15), "taxes", "33.33")
    entry(date(2026, 3, 31), "freight", "12.01")
    entry(date(2026, 4, 1), "sales", "999.00")  # next month
    entry(date(2026, 3, 20), "payroll", "500.00", status="scheduled")  # not money yet

    response = client_as("finance").get("/payments/cash-flow/", {"period": "month", "date": "2026-03-18"})
    period = response.context["period"]
    assert (period.start, period.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert period.opening == Decimal("799.90")
    assert (period.inflow, period.outflow) == (Decimal("0.30"), Decimal("45.34"))
    assert period.closing == period.opening + period.inflow - period.outflow == Decimal("754.86")
    assert all(isinstance(v, Decimal) for v in (period.opening, period.inflow, period.outflow, period.closing))
    assert period.days[-1][3] == period.closing and len(period.days) == 31
    assert period.scheduled_out == Decimal("500.00") and period.forecast_closing == Decimal("254.86")
    page = response.content.decode()
    for testid, text in [("opening", "R$\u00a0799,90"), ("in", "R$\u00a00,30"), ("out", "R$\u00a045,34"),
                         ("closing", "R$\u00a0754,86")]:
        assert f'data-testid="{testid}">{text}<' in page
    listed = [(e.category, e.status) for e in response.context["table"].page.object_list]
    assert ("payroll", "scheduled") in listed and ("sales", "realized") in listed and len(listed) == 5


OUT_OF_RANGE = "A data pedida não é válida ou não está entre 2000 e 2100: mostrando o período atual."


@pytest.mark.parametrize("query", [
    {"date": "9999-12-31"}, {"date": "0001-01-01", "period": "week"}, {"date": "0001-01-01", "period": "day"},
    {"date": "1999-12-31"}, {"date": "2101-01-01"}, {"date": "99999-01-01"}, {"date": "2026-02-30"}, {"date": "\x00"},
])
def test_a_date_out_of_range_or_no_date_shows_the_current_period_and_says_so(client_as, query):
    # 9999-12-31 overflowed the period's following day, 0001-01-01's week began before year 1.
    response = client_as("finance").get("/payments/cash-flow/", query)
    assert response.status_code == 200
    period = response.context["period"]
    assert period.start <= timezone.localdate() <= period.end
    assert OUT_OF_RANGE in response.content.decode()


def test_the_first_and_last_days_of_the_range_are_shown_without_a_warning(client_as):
    client = client_as("finance")
    for day in (date(2000, 1, 1), date(2100, 12, 31)):
        response = client.get("/payments/cash-flow/", {"date": day.isoformat(), "period": "week"})
        assert response.context["period"].start <= day <= response.context["period"].end
        assert OUT_OF_RANGE not in response.content.decode()
    assert OUT_OF_RANGE not in client.get("/payments/cash-flow/").content.decode()


@pytest.mark.parametrize("url", ["/payments/?created_at_after=0001-01-01&created_at_before=9999-12-31",
                                 "/payments/webhooks/?received_at_after=9999-12-31",
                                 "/payments/receivables/?due_date=0001-01-01",
                                 "/orders/?placed_at_before=9999-12-31", "/audit/?created_at_after=0001-01-01"])
def test_a_filter_date_out_of_range_is_a_form_error_not_a_500(client_as, url):
    # The end of 9999-12-31 in São Paulo is past the last datetime once in UTC: an OverflowError.
    response = client_as("admin").get(url)
    assert response.status_code == 200
    assert "Informe uma data entre 2000 e 2100." in response.content.decode()


def test_receivables_settle_on_their_date_gross_in_and_fee_out_once(account):
    payment = approved(account)
    first = payment.receivables.order_by("number").first()
    assert receivables_settle(today=first.due_date - timedelta(days=1)) == 0
    assert receivables_settle(today=first.due_date) == 1
    assert receivables_settle(today=first.due_date) == 0  # a rerun settles nothing twice
    first.refresh_from_db()
    assert first.status == "settled"
    booked = {(e.category, e.direction): e.amount for e in CashEntry.objects.filter(receivable=first)}
    assert booked == {("sales", "in"): first.gross, ("provider_fees", "out"): first.fee}
    month = cash_period(*period_bounds("month", first.due_date))
    assert month.inflow - month.outflow == first.net
    assert month.expected_in == Decimal("0.00")  # the other two fall in later months


def test_a_refund_before_the_money_is_released_moves_no_cash_and_one_after_takes_it_out(account):
    early = approved(account, id=601)
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        id=601, status="refunded", transaction_amount=100.00, transaction_amount_refunded=100.00,
        transaction_details={"net_received_amount": 94.99})))
    assert set(early.receivables.values_list("status", flat=True)) == {"cancelled"}
    assert not CashEntry.objects.filter(payment=early).exists()

    partly = approved(account, id=603)  # 3 installments of 33.34 + 33.33 + 33.33; 40 back before any release
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        id=603, status="refunded", transaction_amount=100.00, transaction_amount_refunded=40.00,
        transaction_details={"net_received_amount": 94.99})))
    left = [(r.status, r.gross) for r in partly.receivables.order_by("number")]
    assert left == [("expected", Decimal("33.34")), ("expected", Decimal("26.66")), ("cancelled", Decimal("0.00"))]
    assert not CashEntry.objects.filter(payment=partly).exists()

    late = approved(account, id=602)
    receivables_settle(today=date(2026, 6, 30))  # all three released
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        id=602, status="refunded", transaction_amount=100.00, transaction_amount_refunded=100.00,
        transaction_details={"net_received_amount": 94.99})))
    refunds = CashEntry.objects.filter(payment=late, category="refunds")
    assert [(e.direction, e.amount) for e in refunds] == [("out", Decimal("100.00"))]
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(  # the same news again
        id=602, status="refunded", transaction_amount=100.00, transaction_amount_refunded=100.00,
        transaction_details={"net_received_amount": 94.99})))
    assert refunds.count() == 1


def test_a_chargeback_after_release_takes_the_gross_out(account):
    payment = approved(account, id=701, installments=1, money_release_date="2026-03-24T15:00:00.000-03:00")
    receivables_settle(today=date(2026, 3, 24))
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        id=701, status="charged_back", installments=1, transaction_amount=100.00,
        transaction_details={"net_received_amount": 94.99})))
    assert Payment.objects.get(pk=payment.pk).status == "charged_back"
    assert CashEntry.objects.get(payment=payment, category="chargebacks").amount == Decimal("100.00")


def test_open_receivables_and_scheduled_entries_make_the_forecast(account):
    payment = approved(account, id=801)
    due = payment.receivables.order_by("number").first()
    month = period_bounds("month", due.due_date)
    entry(month[1], "other_income", "10.00", status="scheduled")
    period = cash_period(*month)
    assert period.expected_in == due.net + Decimal("10.00")
    assert period.forecast_closing == period.closing + due.net + Decimal("10.00")


def test_finance_enters_a_scheduled_expense_and_marks_it_done(client_as):
    client = client_as("finance")
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post("/payments/cash-flow/new/", {"date": tomorrow.isoformat(), "category": "suppliers",
                                                         "amount": "1234,56", "status": "scheduled",
                                                         "description": "Fornecedor de caixas"})
    assert response.status_code == 302
    saved = CashEntry.objects.get()
    assert (saved.direction, saved.amount, saved.status) == ("out", Decimal("1234.56"), "scheduled")
    client.post(f"/payments/cash-flow/{saved.pk}/realize/")
    saved.refresh_from_db()
    assert (saved.status, saved.date) == ("realized", timezone.localdate())


@pytest.mark.parametrize("data, field", [
    ({"category": "taxes", "amount": "0", "status": "realized", "description": "x"}, "amount"),
    ({"category": "taxes", "amount": "10", "status": "scheduled", "description": "x", "date": "2020-01-01"}, "date"),
    ({"category": "taxes", "amount": "10", "status": "realized", "description": ""}, "description"),
])
def test_a_bad_entry_is_refused_with_the_reason_and_saves_nothing(client_as, data, field):
    data = {"date": timezone.localdate().isoformat(), **data}
    response = client_as("finance").post("/payments/cash-flow/new/", data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not CashEntry.objects.exists()


def test_the_cash_flow_exports_the_period(client_as):
    entry(date(2026, 3, 2), "taxes", "33.33")
    entry(date(2026, 4, 2), "taxes", "44.44")
    response = client_as("finance").get("/payments/cash-flow/", {"date": "2026-03-05", "export": "csv"})
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "33,33" in text or "33.33" in text
    assert "44" not in text


def test_the_receivables_calendar_shows_the_month_day_by_day(client_as, account):
    payment = approved(account, id=901)
    first = payment.receivables.order_by("number").first()
    client = client_as("finance")
    response = client.get("/payments/receivables/", {"month": f"{first.due_date:%Y-%m}"})
    cells = [cell for week in response.context["weeks"] for cell in week if cell]
    sums = dict(cells)[first.due_date]
    assert sums == {"expected": (first.net, 1)}
    assert response.context["month_total"] == first.net
    listed = client.get("/payments/receivables/", {"month": f"{first.due_date:%Y-%m}", "due_date": first.due_date})
    assert list(listed.context["table"].page.object_list) == [first]


@pytest.mark.parametrize("url", ["/payments/receivables/", "/payments/cash-flow/", "/payments/cash-flow/new/"])
def test_staff_cannot_open_the_finance_pages_and_finance_can(client_as, url):
    assert client_as("staff").get(url).status_code == 403
    assert client_as("finance").get(url).status_code == 200


def test_receivables_of_a_refunded_payment_are_not_listed_as_expected(account):
    payment = approved(account, id=902)
    payment_apply(account=account, data=MercadoPago().normalize(sample_payment(
        id=902, status="refunded", transaction_amount=100.00, transaction_amount_refunded=100.00,
        transaction_details={"net_received_amount": 94.99})))
    assert not Receivable.objects.filter(payment=payment, status="expected").exists()


def test_a_scheduled_entry_past_its_date_is_pointed_out(client_as):
    today = timezone.localdate()
    entry(today + timedelta(days=3), "taxes", "10.00", status="scheduled")
    assert client_as("finance").get("/payments/cash-flow/").context["overdue"] == 0
    entry(today - timedelta(days=1), "taxes", "10.00", status="scheduled")
    page = client_as("finance").get("/payments/cash-flow/").content.decode()
    assert "1 lançamento agendado passou da data" in page


@pytest.mark.parametrize("category, direction", [("sales", "in"), ("other_income", "in"), ("provider_fees", "out"),
                                                 ("refunds", "out"), ("suppliers", "out")])
def test_an_entry_goes_the_way_its_category_says(category, direction):
    assert entry(date(2026, 3, 1), category, "1.00").direction == direction


def test_the_chart_draws_a_bar_in_and_a_bar_out_per_day_and_the_balance_line():
    days = [(date(2026, 3, 1), Decimal("100"), Decimal("0"), Decimal("100")),
            (date(2026, 3, 2), Decimal("0"), Decimal("50"), Decimal("50"))]
    chart = cash_chart(days, width=200, height=110)
    assert [(bar["tone"], bar["x"], bar["h"]) for bar in chart["bars"]] == [
        ("in", 10.0, 100.0), ("out", 50.0, 0.0), ("in", 110.0, 0.0), ("out", 150.0, 50.0)]
    # The highest balance sits at the top (y 5), zero at the bottom (y 105).
    assert chart["points"] == "50.0,5.0 150.0,55.0"
