"""An external system's credentials: the fields each provider declares (its schema), their
encryption at rest (Fernet, the keys of CREDENTIALS_KEYS: the first encrypts, all decrypt) and
the form fields that edit them without ever showing a secret back."""

import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CredentialField:
    """One of the values a provider's account needs (a token, a client id, a webhook secret)."""

    name: str
    label: str | Promise
    secret: bool = True
    required: bool = True
    help_text: str | Promise = ""


class CredentialsUnreadable(ImproperlyConfigured):
    """Stored credentials that none of CREDENTIALS_KEYS decrypts (a key dropped too early)."""


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CREDENTIALS_KEYS must be set when DEBUG is off.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"CREDENTIALS_KEYS holds a key that is not a Fernet key: {exc}") from exc


def keys() -> tuple[str, ...]:
    """CREDENTIALS_KEYS, newest first."""
    return tuple(key.strip() for key in settings.CREDENTIALS_KEYS if key.strip())


def encrypt(values: dict) -> str:
    """`values` as a Fernet token under the first key."""
    return _keyring(keys()).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    """The values a token holds, whichever of the keys encrypted it."""
    try:
        return json.loads(_keyring(keys()).decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("stored credentials that no key of CREDENTIALS_KEYS decrypts") from exc


def reencrypt(token: str) -> str | None:
    """The token encrypted again under the first key; None when the first key encrypted it already."""
    try:
        _keyring(keys()[:1]).decrypt(token.encode())
        return None
    except InvalidToken:
        decrypt(token)  # CredentialsUnreadable when no key reads it
        return _keyring(keys()).rotate(token.encode()).decode()


def credentials_keys_check(app_configs, **kwargs):
    """Production must name its own keys (the development default comes from SECRET_KEY), and valid ones."""
    if not keys():
        return [checks.Error("CREDENTIALS_KEYS is not set.", id="backoffice.E001",
                             hint="Set CREDENTIALS_KEYS (or CREDENTIALS_KEYS_FILE) to one or more comma-separated "
                                  "Fernet keys: the first encrypts, all decrypt.")]
    try:
        _keyring(keys())
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="backoffice.E002")]
    return []


KEEP = _("Leave empty to keep the current value.")


class CredentialsForm(forms.ModelForm):
    """A model form editing one encrypted credentials field (`credentials_field`) through the
    fields of `schema`: secrets are never rendered back (empty inputs that keep the stored value
    when left empty); other values are shown as stored."""

    schema: tuple[CredentialField, ...] = ()
    credentials_field = "credentials"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored = dict(getattr(self.instance, self.credentials_field) or {})
        for item in self.schema:
            field = self.fields[item.name]
            if item.secret and self.stored.get(item.name):
                field.required = False
                field.help_text = f"{item.help_text} {KEEP}".strip()
            elif not item.secret:
                field.initial = self.stored.get(item.name, "")

    def clean(self):
        cleaned = super().clean()
        values = {}
        for item in self.schema:
            value = cleaned.get(item.name, "")
            if item.secret and not value:
                value = self.stored.get(item.name, "")
            if value:
                values[item.name] = value
        setattr(self.instance, self.credentials_field, values)
        return cleaned


def credentials_form(base: type[CredentialsForm], schema: tuple[CredentialField, ...]) -> type[CredentialsForm]:
    """`base` with one form field per item of `schema` (passwords for the secrets)."""
    attrs = {"schema": tuple(schema)}
    for item in schema:
        widget = forms.PasswordInput(render_value=False) if item.secret else forms.TextInput
        attrs[item.name] = forms.CharField(label=capfirst(item.label), required=item.required, help_text=item.help_text,
                                           widget=widget, strip=True)
    return type(base.__name__, (base,), attrs)
