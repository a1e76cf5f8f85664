"""Model fields shared by every app."""

from django.db import models

from .money import DECIMAL_PLACES, MAX_DIGITS


class MoneyField(models.DecimalField):
    """An amount in BRL: Decimal with 2 places, up to 999 billion."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MAX_DIGITS)
        kwargs.setdefault("decimal_places", DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs
