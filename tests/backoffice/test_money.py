"""Money in one place: the cent, rounding, the largest amount a record holds, reading what staff
type — and no other module with a cent of its own."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from backoffice.fields import MoneyField
from backoffice.money import CENT, MAX_AMOUNT, cents, parse_amount

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


@pytest.mark.parametrize("text, amount", [("125,90", Decimal("125.90")), (" 125.9 ", Decimal("125.9")),
                                          ("-3", Decimal("-3")), ("0,005", Decimal("0.005"))])
def test_a_typed_amount_is_read_with_a_comma_or_a_point(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["1e3", "Infinity", "NaN", "١٢٥", "1.234,56", "12,", "R$ 10", ""])
def test_anything_but_digits_and_one_separator_is_not_an_amount(text):
    with pytest.raises(ValueError):
        parse_amount(text)


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
