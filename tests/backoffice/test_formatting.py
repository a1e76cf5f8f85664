"""Money and dates as staff read them, and spreadsheet values as accountants get them."""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import translation

from backoffice.exports import spreadsheet_value
from backoffice.money import format_money as money
from backoffice.templatetags.backoffice import dt


@pytest.mark.parametrize(
    "value,expected",
    [
        (Decimal("1234.56"), "R$\u00a01.234,56"),
        (Decimal("0"), "R$\u00a00,00"),
        (Decimal("-99.9"), "-R$\u00a099,90"),
        (Decimal("1234567.891"), "R$\u00a01.234.567,89"),
        ("10", "R$\u00a010,00"),
        (None, ""),
        ("not money", ""),
    ],
)
def test_money_is_shown_the_brazilian_way(value, expected):
    with translation.override("pt-br"):
        assert money(value) == expected


def test_money_follows_the_chosen_language():
    with translation.override("en"):
        assert money(Decimal("1234.5")) == "R$\u00a01,234.50"


def test_dates_are_shown_in_sao_paulo_time():
    utc_midnight = datetime(2026, 3, 1, 2, 30, tzinfo=dt_timezone.utc)
    with translation.override("pt-br"):
        assert dt(utc_midnight) == "28/02/2026 23:30"
        assert dt(utc_midnight, "SHORT_DATE_FORMAT") == "28/02/2026"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+55 11", "-1+2", "@SUM(A1)"])
def test_text_a_csv_reader_would_run_as_a_formula_is_quoted(text):
    assert spreadsheet_value(text, "csv") == "'" + text


def test_in_xlsx_only_text_starting_with_equals_is_a_formula():
    assert spreadsheet_value("=1+1", "xlsx") == "'=1+1"
    assert spreadsheet_value("+55 11 99999-0000", "xlsx") == "+55 11 99999-0000"


def test_control_characters_that_xlsx_cannot_hold_are_dropped():
    assert spreadsheet_value("evil\x01name\x1f") == "evilname"


@pytest.mark.parametrize("value,expected", [
    (Decimal("10.999"), "R$\u00a011,00"), (Decimal("10.005"), "R$\u00a010,01"), (Decimal("-0.004"), "R$\u00a00,00"),
    ("NaN", ""), ("Infinity", ""),
])
def test_money_rounds_half_up_to_the_cent(value, expected):
    with translation.override("pt-br"):
        assert money(value) == expected


def test_a_plain_date_is_shown_as_a_date():
    with translation.override("pt-br"):
        assert dt(date(2026, 1, 2)) == "02/01/2026"


def test_numbers_and_decimals_stay_numbers_in_spreadsheets():
    assert spreadsheet_value(Decimal("-10.50")) == Decimal("-10.50")
    assert spreadsheet_value(3) == 3
    assert spreadsheet_value(None) == ""
    assert spreadsheet_value(datetime(2026, 3, 1, 2, 30, tzinfo=dt_timezone.utc)) == datetime(2026, 2, 28, 23, 30)
