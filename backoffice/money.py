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
# scripts' digits ("١٢٥"), which nobody types as a number on purpose. Runs of digits between
# single separators; a sign, a currency and spaces are read around it.
TYPED_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*", re.ASCII)
# Thousands grouped in threes after a first group of one to three digits ("1.234.567").
GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:[.,][0-9]{3})+", re.ASCII)
# "R$ 1.234,56", "R$1.234,56", "-R$ 10,00" (as format_money writes it, with a no-break space).
CURRENCY = re.compile(r"(-?)\s*R\$\s*")


def cents(value) -> Decimal:
    """`value` (a Decimal, an int or its text) rounded to the cent, half up."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class AmbiguousNumber(ValueError):
    """A number whose separators read otherwise in the reader's language ("1,234.56" in pt-BR)."""


def separators() -> tuple[str, str]:
    """The reader's decimal and thousands separators: "," and "." in pt-BR, "." and "," in English."""
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    return decimal, "." if decimal == "," else ","


def parse_number(text: str, *, strict: bool = False, places: int | None = None) -> Decimal:
    """A number as a person types it in the reader's language, not rounded. ValueError for
    anything else, AmbiguousNumber when its separators say two things.

    The digits 0–9, an optional leading "-", "," and "." — no exponent, NaN, Infinity or other
    scripts' digits. In pt-BR (English swaps "," and "."):
    - "1.234,56", "1234,56", "0,5", "1.234.567,89": one comma before the decimals; points, if
      any, between groups of three digits.
    - "1.234", "1.234.567": points between groups of exactly three digits, the first group of
      one to three digits not starting with 0, separate thousands: 1234 — a point followed by
      exactly three digits is a thousands separator in pt-BR (and "1,234" is 1234 in English).
      Where the number may have three decimals or more (`places`: a weight in kg), "1.250" is
      both 1250 and 1,25 to someone: AmbiguousNumber, not a guess.
    - "1234.56", "1.5", "0.500", "12.50": one point that does not group thousands is the
      decimal point of whoever types as in English or a spreadsheet.
    - "1,234.56", "1.234.56", "1,234,567" (English grouping), "12,5,0": AmbiguousNumber.
    `strict` is the contract of machine-written text (the orders API's JSON): digits with at
    most one "," or "." before the decimals, whatever the language, no grouping."""
    text = text.strip()
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    if not TYPED_NUMBER.fullmatch(body):
        raise ValueError(f"not a number: {text!r}")
    marks = sum(body.count(mark) for mark in ".,")
    if marks == 0:
        return Decimal(sign + body)
    if strict:
        if marks > 1:
            raise ValueError(f"not a plain number: {text!r}")
        return Decimal(sign + body.replace(",", "."))
    decimal, thousands = separators()
    if decimal in body:
        integer, _mark, fraction = body.rpartition(decimal)
        if decimal in integer or thousands in fraction or (thousands in integer and not GROUPED.fullmatch(integer)):
            raise AmbiguousNumber(f"ambiguous separators: {text!r}")
        return Decimal(sign + integer.replace(thousands, "") + "." + fraction)
    if GROUPED.fullmatch(body):
        if marks == 1 and places is not None and places >= 3:
            raise AmbiguousNumber(f"thousands or decimals: {text!r}")
        return Decimal(sign + body.replace(thousands, ""))
    if marks == 1:
        return Decimal(sign + body.replace(thousands, "."))
    raise AmbiguousNumber(f"ambiguous separators: {text!r}")


def parse_amount(text: str, *, strict: bool = False, places: int | None = None) -> Decimal:
    """An amount of money as typed: parse_number's number, after an optional "R$" ("R$ 1.234,56",
    "R$1.234,56", "-R$ 10,00"). `strict` (machine-written text) takes no currency sign."""
    if not strict:
        match = CURRENCY.match(text.strip())
        if match:
            text = match.group(1) + text.strip()[match.end():]
    return parse_number(text, strict=strict, places=places)


def format_number(value, places: int) -> str:
    """`1.234,560` (pt-BR) / `1,234.560` (en): `value` to `places` decimals in the reader's format,
    grouped as parse_number reads it back."""
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


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
    text = format_number(abs(amount), DECIMAL_PLACES)
    return f"-R$\u00a0{text}" if amount < 0 else f"R$\u00a0{text}"
