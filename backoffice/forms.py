"""Form fields shared by every app: numbers and dates as a Brazilian store's staff type and read
them. Decimals are text inputs in the reader's format ("1.234,56" in pt-BR, "1,234.56" in
English) read by backoffice.money, never <input type="number">, which refuses "69,90"; dates are
the browser's date picker, whose value is ISO whatever the language (it shows dd/mm/aaaa in pt-BR)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import MoneyField
from .money import DECIMAL_PLACES, MAX_DIGITS, AmbiguousNumber, format_number, parse_amount, parse_number, separators
from .params import BoundedDateField

ISO_DATE = "%Y-%m-%d"


class DecimalInput(forms.TextInput):
    """A decimal as text in the reader's format, to `places` decimals, with a phone's numeric keyboard."""

    def __init__(self, attrs=None, *, places: int):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.places = places

    def format_value(self, value):
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return format_number(value, self.places)
        return super().format_value(value)  # what was typed, shown back as typed


class DecimalField(forms.DecimalField):
    """A decimal number (a weight in kg, a size in cm, a percentage) as a person types it in the
    reader's language — backoffice.money.parse_number's rules — shown the same way, to
    `decimal_places`. `strict`: machine-written text ("125.90"), as the orders API takes it."""

    default_error_messages = {
        "invalid": _("Type the value with the digits 0 to 9, e.g. %(example)s."),
        "ambiguous": _("Use %(example)s: thousands separated by “%(thousands)s”, decimals by “%(decimal)s”."),
    }
    parse = staticmethod(parse_number)

    def __init__(self, *, max_digits, decimal_places, strict=False, **kwargs):
        self.strict = strict
        kwargs.setdefault("widget", DecimalInput(places=decimal_places))
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def to_python(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return value  # a number already (a spreadsheet's cell, backoffice.imports.form_value): not read as text
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        decimal, thousands = separators()
        example = format_number(Decimal("1234.56789"), self.decimal_places)
        try:
            return self.parse(text, strict=self.strict, places=self.decimal_places)
        except AmbiguousNumber:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params={
                "example": example, "thousands": thousands, "decimal": decimal}) from None
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"example": example}) from None


class AmountField(DecimalField):
    """An amount of money in reais as typed ("1.234,56", "R$ 1.234,56", "1234.56";
    backoffice.money.parse_amount), shown as "1.234,56" in pt-BR. Not negative unless
    `min_value` says so (None or below 0)."""

    parse = staticmethod(parse_amount)

    def __init__(self, *, min_value=Decimal(0), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs):
        # min_value an integer: the refusal reads "at least 0", not "0.00".
        super().__init__(min_value=min_value, max_digits=max_digits, decimal_places=decimal_places, **kwargs)


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO ("2026-11-25"), which is all it takes,
    whatever the page's language; a date given in the reader's format ("25/11/2026" in a link)
    is shown too."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=ISO_DATE)

    def format_value(self, value):
        if isinstance(value, str) and value:
            try:
                value = forms.DateField().to_python(value)
            except ValidationError:
                pass  # shown as typed, beside the field's error
        return super().format_value(value)


class DateField(BoundedDateField):
    """A date from 2000 to 2100 with the browser's date picker; also read as dd/mm/aaaa in pt-BR."""

    widget = DateInput


# The form field of each kind of model field (the first of its classes found here).
MODEL_FORM_FIELDS = {
    MoneyField: {"form_class": AmountField},
    models.DecimalField: {"form_class": DecimalField},
    models.DateTimeField: {},
    models.DateField: {"form_class": DateField},
}


def model_form_field(db_field, **kwargs):
    """A model field's form field in the reader's format: every ModelForm's Meta.formfield_callback."""
    kind = next((kind for kind in type(db_field).__mro__ if kind in MODEL_FORM_FIELDS), None)
    return db_field.formfield(**{**MODEL_FORM_FIELDS.get(kind, {}), **kwargs})
