"""Model fields shared by every app."""

from django.db import models

from .integrations.credentials import decrypt, encrypt
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


class EncryptedJSONField(models.TextField):
    """A JSON object encrypted at rest (backoffice.integrations.credentials): the column holds a
    Fernet token, so the database can neither show nor filter what is inside (only `isnull`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def to_python(self, value):
        return decrypt(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else encrypt(value)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def get_lookup(self, lookup_name):
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None
