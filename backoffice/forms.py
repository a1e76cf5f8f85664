"""Form fields shared by every app."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ASCII digits only: Decimal() and str.isdigit() also take "1e3", "Infinity" and other
# scripts' digits ("١٢٥"), which nobody types as an amount of money on purpose.
AMOUNT = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


class AmountField(forms.DecimalField):
    """An amount of money as typed: the digits 0–9 with at most one "," or "." before the
    cents ("125,90" or "125.90"). Not negative unless `min_value` says so (None or below 0)."""

    default_error_messages = {
        "invalid": _("Type the amount with the digits 0 to 9 and at most one comma or point, e.g. 125,90."),
    }

    def __init__(self, *, min_value=Decimal("0"), **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        # Shown in the reader's format ("125,90" in pt-BR); read by to_python below, not by the locale.
        super().__init__(min_value=min_value, localize=True, **kwargs)

    def to_python(self, value):
        text = "" if value in self.empty_values else str(value).strip()
        if not text:
            return None
        if not AMOUNT.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(text.replace(",", "."))
