"""Money in one place: amounts are Decimal reais to the cent, stored as DecimalField(14, 2).
The cent, the largest amount a record holds, rounding, reading what staff type, showing it."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats

MAX_DIGITS, DECIMAL_PLACES = 14, 2  # every amount's column (backoffice.fields.MoneyField)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")  # the largest amount a column of 14 digits, 2 of them cents, holds

# ASCII digits only: Decimal() and str.isdigit() also take "1e3", "Infinity" and other
# scripts' digits ("١٢٥"), which nobody types as an amount of money on purpose.
TYPED_AMOUNT = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def cents(value) -> Decimal:
    """`value` (a Decimal, an int or its text) rounded to the cent, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """An amount as typed: the digits 0–9 with at most one "," or "." before the cents
    ("125,90" or "125.90"), not rounded. ValueError for anything else."""
    text = text.strip()
    if not TYPED_AMOUNT.fullmatch(text):
        raise ValueError(f"not an amount: {text!r}")
    return Decimal(text.replace(",", "."))


def format_money(value) -> str:
    """`R$ 1.234,56` (pt-BR) / `R$ 1,234.56` (en), rounded half up to the cent; empty for
    None or what is not a finite number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    amount = cents(amount)
    text = formats.number_format(abs(amount), DECIMAL_PLACES, use_l10n=True, force_grouping=True)
    return f"-R$\u00a0{text}" if amount < 0 else f"R$\u00a0{text}"
