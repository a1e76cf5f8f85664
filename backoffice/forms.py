"""Form fields shared by every app."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .money import DECIMAL_PLACES, MAX_DIGITS, parse_amount


class AmountField(forms.DecimalField):
    """An amount of money as typed: the digits 0–9 with at most one "," or "." before the
    cents ("125,90" or "125.90"). Not negative unless `min_value` says so (None or below 0)."""

    default_error_messages = {
        "invalid": _("Type the amount with the digits 0 to 9 and at most one comma or point, e.g. 125,90."),
    }

    def __init__(self, *, min_value=Decimal(0), **kwargs):  # the refusal reads "at least 0", not "0.00"
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        # Shown in the reader's format ("125,90" in pt-BR); read by to_python below, not by the locale.
        super().__init__(min_value=min_value, localize=True, **kwargs)

    def to_python(self, value):
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        try:
            return parse_amount(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
