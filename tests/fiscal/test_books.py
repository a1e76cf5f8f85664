"""The invoice books and the tax summary: the period's invoices of the store's environment (São
Paulo's days), cancelled and denied ones listed but not summed, totals by CFOP, CST/CSOSN and UF
summed in the database; the screens, their permission and their constant number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from fiscal.books import Book, Period, TaxSummary, parse_month
from fiscal.models import Environment, Invoice
from tests.fiscal.books_fixtures import make_invoice, make_voided, sao_paulo

D = Decimal
DECEMBER = Period.month(date(2026, 12, 1))
PRODUCTION = Environment.PRODUCTION


def _invoice(number, when, items, **kwargs):
    return make_invoice(number=number, issued_at=when, items=items, environment=PRODUCTION, with_xml=False, **kwargs)


@pytest.fixture
def december(db):
    """December 2026 in production, and what is around it that no December book may count."""
    _invoice(1, sao_paulo(2026, 12, 1, 0, 0), [
        {"cfop": "5102", "icms_code": "00", "total": "100.00", "icms_base": "100.00", "icms_amount": "18.00",
         "pis_amount": "1.65", "cofins_amount": "7.60", "ibs_amount": "0.10", "cbs_amount": "0.90"},
        {"cfop": "5405", "icms_code": "60", "total": "50.00"},
    ], uf="SP")
    _invoice(2, sao_paulo(2026, 12, 10, 15, 0), [
        {"cfop": "6102", "icms_code": "00", "total": "210.00", "icms_base": "200.00", "icms_amount": "24.00",
         "difal_amount": "12.00", "fcp_amount": "4.00", "ipi_amount": "10.00", "st_base": "0", "st_amount": "0"},
    ], uf="RJ")
    _invoice(3, sao_paulo(2026, 12, 31, 23, 59), [
        {"cfop": "6403", "icms_code": "10", "total": "120.00", "icms_base": "100.00", "icms_amount": "12.00",
         "st_base": "130.00", "st_amount": "11.40"},
    ], uf="RJ")
    _invoice(4, sao_paulo(2026, 12, 15), [{"cfop": "5102", "icms_code": "00", "total": "999.00",
                                           "icms_amount": "179.82"}], status=Invoice.Status.CANCELLED, uf="MG")
    _invoice(5, sao_paulo(2026, 12, 16), [{"cfop": "5102", "icms_code": "00", "total": "77.00"}],
             status=Invoice.Status.DENIED, uf="SP")
    _invoice(6, sao_paulo(2026, 12, 17), [{"cfop": "5102", "icms_code": "00", "total": "33.00"}],
             status=Invoice.Status.REJECTED)
    # The customer's return, an entry NF-e: the incoming book.
    _invoice(7, sao_paulo(2026, 12, 20), [{"cfop": "1202", "icms_code": "00", "total": "50.00",
                                           "icms_base": "50.00", "icms_amount": "9.00"}],
             direction=Invoice.Direction.INCOMING, uf="SP")
    # 23:30 on 30 November in São Paulo is 02:30 UTC on 1 December; 00:10 on 1 January is still December in UTC.
    _invoice(8, sao_paulo(2026, 11, 30, 23, 30), [{"cfop": "5102", "icms_code": "00", "total": "500.00"}])
    _invoice(9, sao_paulo(2027, 1, 1, 0, 10), [{"cfop": "5102", "icms_code": "00", "total": "600.00"}])
    make_invoice(number=10, issued_at=sao_paulo(2026, 12, 5), environment=Environment.HOMOLOGATION, with_xml=False,
                 items=[{"cfop": "5102", "icms_code": "00", "total": "700.00"}])
    make_voided(first=11, last=14, when=sao_paulo(2026, 12, 22), environment=PRODUCTION)
    make_voided(first=15, last=15, when=sao_paulo(2026, 11, 22), environment=PRODUCTION)


def _rows(rows, key, *fields):
    return {row[key]: tuple(row[field] for field in fields) for row in rows}


def test_the_outgoing_book_lists_the_decided_invoices_of_the_month_and_sums_the_authorized(december):
    book = Book("outgoing", DECEMBER, environment=PRODUCTION)
    assert [invoice.number for invoice in book.invoices] == [1, 2, 4, 5, 3]
    assert book.not_summed == 2
    assert _rows(book.by_cfop, "cfop", "invoices", "total", "icms_base", "icms_amount") == {
        "5102": (1, D("100.00"), D("100.00"), D("18.00")),
        "5405": (1, D("50.00"), D("0.00"), D("0.00")),
        "6102": (1, D("210.00"), D("200.00"), D("24.00")),
        "6403": (1, D("120.00"), D("100.00"), D("12.00")),
    }
    assert _rows(book.by_cst, "icms_code", "invoices", "total", "icms_amount", "st_amount") == {
        "00": (2, D("310.00"), D("42.00"), D("0.00")),
        "10": (1, D("120.00"), D("12.00"), D("11.40")),
        "60": (1, D("50.00"), D("0.00"), D("0.00")),
    }
    assert _rows(book.by_uf, "uf", "invoices", "total", "icms_amount", "difal_amount", "fcp_amount", "ipi_amount") == {
        "RJ": (2, D("330.00"), D("36.00"), D("12.00"), D("4.00"), D("10.00")),
        "SP": (1, D("150.00"), D("18.00"), D("0.00"), D("0.00"), D("0.00")),
    }
    total = book.total
    assert (total["invoices"], total["total"], total["icms_amount"], total["st_amount"]) == (
        3, D("480.00"), D("54.00"), D("11.40"))
    assert all(isinstance(value, Decimal) for name, value in total.items() if name != "invoices")


def test_the_incoming_book_holds_the_returns(december):
    book = Book("incoming", DECEMBER, environment=PRODUCTION)
    assert [invoice.number for invoice in book.invoices] == [7]
    assert _rows(book.by_cfop, "cfop", "total", "icms_amount") == {"1202": (D("50.00"), D("9.00"))}


def test_a_period_of_days_takes_sao_paulo_s_days(december):
    book = Book("outgoing", Period(date(2026, 11, 30), date(2026, 12, 1)), environment=PRODUCTION)
    assert [invoice.number for invoice in book.invoices] == [8, 1]


def test_an_empty_book_sums_to_zero(db):
    book = Book("outgoing", DECEMBER, environment=PRODUCTION)
    assert book.by_cfop == [] and book.total["total"] == D("0.00") and book.total["invoices"] == 0


def test_the_tax_summary_puts_the_returns_credits_beside_the_sales_debits(december):
    summary = TaxSummary(DECEMBER, environment=PRODUCTION)
    with translation.override("en"):
        lines = {str(line.tax): (line.outgoing, line.incoming, line.balance) for line in summary.lines}
    assert lines["ICMS"] == (D("54.00"), D("9.00"), D("45.00"))
    assert lines["ICMS-ST"] == (D("11.40"), D("0.00"), D("11.40"))
    assert lines["DIFAL (destination UF)"] == (D("12.00"), D("0.00"), D("12.00"))
    assert lines["FCP"][0] == D("4.00") and lines["IPI"][0] == D("10.00")
    assert (lines["PIS"][0], lines["COFINS"][0], lines["IBS"][0], lines["CBS"][0]) == (
        D("1.65"), D("7.60"), D("0.10"), D("0.90"))
    assert (summary.totals.outgoing, summary.totals.incoming) == (D("480.00"), D("50.00"))
    assert summary.counts["outgoing"] == {"authorized": 3, "cancelled": 1, "denied": 1}
    assert summary.counts["incoming"]["authorized"] == 1
    assert summary.voided_numbers == 4


def test_a_month_is_read_as_yyyy_mm_only():
    assert parse_month("2026-12") == date(2026, 12, 1)
    for text in ("2026-13", "12/2026", "2026-1", "２０２６-12", ""):
        with pytest.raises(ValueError):
            parse_month(text)


# The screens ------------------------------------------------------------------------------------


@pytest.fixture
def production(fiscal_profile):
    """The store's profile (tests/fiscal/conftest.py), issuing in production: the books are of its environment."""
    fiscal_profile.environment = PRODUCTION
    fiscal_profile.save()
    return fiscal_profile


@pytest.mark.parametrize("role,allowed", [("finance", True), ("manager", True), ("admin", True), ("staff", False),
                                          ("ops", False)])
def test_the_books_are_for_finance_managers_and_admins(db, client_as, role, allowed):
    client = client_as(role)
    for url in ("/fiscal/books/", "/fiscal/books/taxes/", "/fiscal/books/xml/"):
        assert (client.get(url).status_code == 200) is allowed, url


def test_the_books_page_shows_the_month_s_totals_and_invoices(production, december, client_as):
    response = client_as("finance").get("/fiscal/books/", {"month": "2026-12"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="totals-cfop"' in page and "6403" in page
    assert "R$\u00a0480,00" in page  # the total line
    assert response.context["table"].page.paginator.count == 5
    assert "01/12/2026 – 31/12/2026" in page


def test_the_books_page_runs_the_same_queries_for_few_and_many_invoices(production, december, client_as):
    client = client_as("finance")
    client.get("/fiscal/books/", {"month": "2026-12"})

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/fiscal/books/", {"month": "2026-12", "per_page": 100}).status_code == 200
        return len(queries)

    before = count()
    for number in range(20, 60):
        _invoice(number, sao_paulo(2026, 12, 12), [{"cfop": "5102", "icms_code": "00", "total": "10.00"},
                                                   {"cfop": "5405", "icms_code": "60", "total": "5.00"}])
    assert count() == before


def test_a_period_of_days_is_typed_as_dd_mm_aaaa_and_a_wrong_one_is_explained(production, december, client_as):
    client = client_as("finance")
    response = client.get("/fiscal/books/", {"first": "30/11/2026", "last": "01/12/2026"})
    assert response.context["table"].page.paginator.count == 2
    response = client.get("/fiscal/books/", {"first": "10/12/2026", "last": "01/12/2026"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert response.context["period"] == Period.month(timezone.localdate())  # this month, with the error


def test_the_incoming_book_and_the_tax_summary_pages(production, december, client_as):
    client = client_as("manager")
    response = client.get("/fiscal/books/", {"book": "incoming", "month": "2026-12"})
    assert response.context["table"].page.paginator.count == 1
    response = client.get("/fiscal/books/taxes/", {"month": "2026-12"})
    assert response.status_code == 200
    assert "R$\u00a045,00" in response.content.decode()  # ICMS: 54,00 out less 9,00 in


def test_sorting_or_paging_the_invoices_reloads_only_their_table(production, december, client_as):
    response = client_as("finance").get("/fiscal/books/", {"month": "2026-12", "sort": "-number"},
                                        HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'id="results"' in page and "totals-cfop" not in page and "<html" not in page
    assert [invoice.number for invoice in response.context["table"].page.object_list] == [5, 4, 3, 2, 1]
