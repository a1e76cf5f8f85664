"""Money in one place: the cent, rounding, the largest amount a record holds, reading what staff
type (in pt-BR and in English) and showing it back — and no other module with a cent of its own."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from backoffice.fields import MoneyField
from backoffice.forms import AmountField, DecimalField, DecimalInput
from backoffice.money import CENT, MAX_AMOUNT, AmbiguousNumber, cents, format_money, parse_amount, parse_number

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for path in ROOT.rglob("*.py") if not {".venv", "node_modules"} & set(path.parts)]


@pytest.mark.parametrize("value, expected", [
    ("10.005", Decimal("10.01")), ("10.004", Decimal("10.00")), (Decimal("-0.125"), Decimal("-0.13")),
    (Decimal("149.90") * Decimal("0.0499"), Decimal("7.48")), (7, Decimal("7.00")),
])
def test_amounts_are_rounded_half_up_to_the_cent(value, expected):
    assert cents(value) == expected and cents(value).as_tuple().exponent == -2


def test_the_largest_amount_is_the_largest_a_money_column_holds():
    field = MoneyField()
    field.clean(MAX_AMOUNT, None)
    with pytest.raises(ValidationError):
        field.clean(MAX_AMOUNT + CENT, None)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("text, amount", [
    ("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("R$ 1.234,56", "1234.56"), ("R$1.234,56", "1234.56"),
    ("R$\u00a01.234,56", "1234.56"), ("-R$\u00a010,00", "-10.00"), ("1234.56", "1234.56"), ("1234", "1234"),
    ("0,5", "0.5"), ("1.234.567,89", "1234567.89"), (" 125.9 ", "125.9"), ("-3", "-3"), ("0,005", "0.005"),
    # A point before exactly three digits separates thousands in pt-BR; before any other count, the decimals.
    ("1.234", "1234"), ("1.234.567", "1234567"), ("1.5", "1.5"), ("12.50", "12.50"), ("0.500", "0.500"),
])
def test_an_amount_is_read_as_brazilians_write_it(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["1,234.56", "1.234.56", "1,234,567", "12,5,0", "0.123,45", "12.34,5"])
def test_separators_that_say_two_things_are_refused_as_ambiguous(text):
    with pytest.raises(AmbiguousNumber):
        parse_amount(text)


@pytest.mark.parametrize("text", ["1e3", "Infinity", "NaN", "-Infinity", "١٢٥", "１２５", "12,", ",5", "1..5", "+5",
                                  "1_000", "R$", "R$ R$ 1", "10 R$", "US$ 10", "1 234", ""])
def test_anything_else_is_not_an_amount(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_english_swaps_the_separators(english):
    assert parse_amount("1,234.56") == parse_amount("R$ 1,234.56") == Decimal("1234.56")
    assert parse_amount("1,234") == Decimal("1234") and parse_amount("1,5") == Decimal("1.5")
    assert parse_amount("1.5") == Decimal("1.5")
    with pytest.raises(AmbiguousNumber):
        parse_amount("1.234,56")


@pytest.mark.parametrize("text, amount", [("125,90", "125.90"), ("125.90", "125.90"), ("-3", "-3"), ("1.234", "1.234")])
def test_strict_reading_takes_one_separator_before_the_decimals_whatever_the_language(text, amount, english):
    assert parse_amount(text, strict=True) == Decimal(amount)
    with translation.override("pt-br"):
        assert parse_amount(text, strict=True) == Decimal(amount)


@pytest.mark.parametrize("text", ["1.234,56", "R$ 10", "1.234.567", "1e3", "NaN"])
def test_strict_reading_refuses_grouping_and_a_currency(text):
    with pytest.raises(ValueError):
        parse_amount(text, strict=True)


@pytest.mark.parametrize("language", ["pt-br", "en"])
@pytest.mark.parametrize("value", ["0.00", "0.05", "69.90", "999.99", "1000.00", "1234.56", "1234567.89", "-10.00",
                                   "999999999999.99"])
def test_an_amount_shown_in_an_input_reads_back_the_same(language, value):
    with translation.override(language):
        shown = DecimalInput(places=2).format_value(Decimal(value))
        assert AmountField(min_value=None).clean(shown) == Decimal(value)


@pytest.mark.parametrize("value, places, pt_br, en", [
    ("1234.56", 2, "1.234,56", "1,234.56"), ("1.5", 3, "1,500", "1.500"), ("1234.5", 3, "1.234,500", "1,234.500"),
    ("12.5", 1, "12,5", "12.5"), ("1000", 1, "1.000,0", "1,000.0"),
])
def test_a_decimal_is_shown_in_the_readers_format_and_reads_back(value, places, pt_br, en):
    widget, field = DecimalInput(places=places), DecimalField(max_digits=9, decimal_places=places)
    assert widget.format_value(Decimal(value)) == pt_br and field.clean(pt_br) == Decimal(value)
    with translation.override("en"):
        assert widget.format_value(Decimal(value)) == en and field.clean(en) == Decimal(value)


def test_the_money_field_names_the_expected_form_when_separators_are_ambiguous():
    with pytest.raises(ValidationError, match="Use 1.234,56: milhares separados por “.”, decimais por “,”"):
        AmountField().clean("1,234.56")
    with translation.override("en"), pytest.raises(ValidationError, match="Use 1,234.56"):
        AmountField().clean("1.234,56")
    with pytest.raises(ValidationError, match="valor com os dígitos de 0 a 9, p. ex. 1.234,56"):
        AmountField().clean("1e3")


@pytest.mark.parametrize("language, typed, decimals", [("pt-br", "1.250", "1,25"), ("en", "1,250", "1.25")])
def test_one_thousands_mark_before_three_digits_is_ambiguous_where_three_decimals_are_kept(language, typed, decimals):
    weight, size = DecimalField(max_digits=9, decimal_places=3), DecimalField(max_digits=7, decimal_places=1)
    with translation.override(language):
        assert size.clean(typed) == Decimal("1250")  # a size keeps one decimal: only thousands fit
        assert weight.clean(decimals) == Decimal("1.25") and weight.clean(typed + decimals[1:]) == Decimal("1250.25")
        with pytest.raises(ValidationError, match="Use 1.234,567|Use 1,234.567"):
            weight.clean(typed)
    assert parse_number("1.250.000", places=3) == Decimal("1250000")


def test_a_decimal_field_reads_no_currency_and_its_own_places():
    weight = DecimalField(max_digits=9, decimal_places=3)
    assert weight.clean("1,250") == Decimal("1.250") and weight.clean("0.35") == Decimal("0.35")
    with pytest.raises(ValidationError, match="p. ex. 1.234,567"):
        weight.clean("R$ 1,00")
    with pytest.raises(ValidationError):
        weight.clean("1,2345")  # four decimals where three are kept


def test_the_money_field_keeps_amounts_within_a_money_column():
    field = AmountField()
    assert field.clean("R$ 999.999.999.999,99") == MAX_AMOUNT
    for text in ("1.000.000.000.000,00", "-1,00", "0,001"):
        with pytest.raises(ValidationError):
            field.clean(text)


def test_an_amount_is_shown_with_thousands_and_the_currency():
    assert format_money(Decimal("1234.56")) == "R$\u00a01.234,56"
    with translation.override("en"):
        assert format_money(Decimal("-1234.5")) == "-R$\u00a01,234.50"
    assert parse_amount(format_money(Decimal("-1234.5"))) == Decimal("-1234.50")


def test_parse_number_is_the_same_reading_without_the_currency():
    assert parse_number("1.234,56") == Decimal("1234.56")
    with pytest.raises(ValueError):
        parse_number("R$ 1,00")


def _cents_outside_money(path: Path):
    """Where `path` names its own cent: `CENT = …`, or `Decimal("0.01")` in application code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else [])
        if any(isinstance(target, ast.Name) and target.id == "CENT" for target in targets):
            yield f"{path.relative_to(ROOT)}:{node.lineno}: CENT ="
        if ("tests" not in path.relative_to(ROOT).parts and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id == "Decimal"
                and [getattr(arg, "value", None) for arg in node.args] == ["0.01"]):
            yield f"{path.relative_to(ROOT)}:{node.lineno}: Decimal(\"0.01\")"


def test_the_cent_is_defined_only_in_backoffice_money():
    money = ROOT / "backoffice" / "money.py"
    assert money in SOURCES and list(_cents_outside_money(money)) != []  # the check sees a cent where there is one
    assert [found for path in SOURCES if path != money for found in _cents_outside_money(path)] == []
