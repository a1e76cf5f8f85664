"""Forms and list filters of the carriers' settings screens: a carrier, its API credentials, its
services, the boxes, a freight table's rows (on screen, and each row of an imported table)."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from backoffice.forms import AmountField, DecimalField, model_form_field
from backoffice.integrations.credentials import CredentialsForm, credentials_form

from . import providers
from .models import POSITIVE, Box, Carrier, CarrierService

# A CEP as people write it: 01310100, 01310-100 or 01.310-100.
TYPED_CEP = re.compile(r"([0-9]{2})\.?([0-9]{3})-?([0-9]{3})", re.ASCII)
# The model's smallint of days.
MAX_DAYS = 32767
# Kinds whose parcels no carrier's API takes.
WITHOUT_INTEGRATION = (Carrier.Kind.OWN_FLEET, Carrier.Kind.PICKUP)


class CepField(forms.CharField):
    """A CEP typed with or without its hyphen (01310-100, 01310100), kept as its 8 digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        match = TYPED_CEP.fullmatch(value)
        if match is None:
            raise ValidationError(_("Type the CEP's 8 digits, e.g. 01310-100."), code="invalid")
        return "".join(match.groups())


class CarrierForm(forms.ModelForm):
    """A carrier: its code (fixed once created: imports name it), name, kind, integration, cubic
    factor and tracking page."""

    class Meta:
        model = Carrier
        fields = ["code", "name", "kind", "provider", "cubic_factor", "tracking_url", "active"]
        formfield_callback = model_form_field
        help_texts = {"code": _("Letters, digits and hyphens (e.g. jadlog): the freight tables' files name it.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cubic_factor"].validators.append(MaxValueValidator(100_000))
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["name"].widget.attrs["autofocus"] = True
        else:
            self.fields["code"].widget.attrs["autofocus"] = True

    def clean_tracking_url(self):
        url = self.cleaned_data["tracking_url"].strip()
        if url:
            if "{code}" not in url:
                raise ValidationError(_("Put {code} where the tracking code goes, e.g. "
                                        "https://www.jadlog.com.br/tracking?cte={code}."))
            URLValidator(schemes=["https"], message=_("Type the https:// address of the carrier's tracking page."))(
                url.replace("{code}", "X"))
        return url

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provider") and cleaned.get("kind") in WITHOUT_INTEGRATION:
            self.add_error("provider", _("The own fleet and the pickup in store have no carrier's API."))
        return cleaned


class CarrierCredentialsForm(CredentialsForm):
    """The credentials of a carrier's API: the fields its client declares (`credentials_form`
    adds them); secrets are never shown back."""

    class Meta:
        model = Carrier
        fields = []


def carrier_credentials_form(carrier: Carrier):
    """The credentials form of `carrier`'s integration (None when it has none)."""
    if not carrier.provider or carrier.provider not in providers.CARRIERS:
        return None
    return credentials_form(CarrierCredentialsForm, providers.provider(carrier.provider).credentials)


class CarrierServiceForm(forms.ModelForm):
    """One of a carrier's services: its code as the carrier knows it, name and promise."""

    class Meta:
        model = CarrierService
        fields = ["code", "name", "days", "handling_days", "max_weight_kg", "active"]
        formfield_callback = model_form_field
        help_texts = {"days": _("Business days from posting to delivery when its freight table gives none "
                                "(own fleet, pickup)."),
                      "handling_days": _("Business days from the payment to the posting.")}

    def __init__(self, *args, carrier: Carrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.carrier = carrier
        self.fields["code"].widget.attrs["autofocus"] = True
        for name in ("days", "handling_days"):
            self.fields[name].validators.append(MaxValueValidator(365))

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = CarrierService.objects.filter(carrier=self.instance.carrier, code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("%(carrier)s has a service with this code already.")
                                  % {"carrier": self.instance.carrier})
        return code


class BoxForm(forms.ModelForm):
    """A box: its outer size in cm and its own weight in kg, as staff type them (32,5)."""

    class Meta:
        model = Box
        fields = ["name", "length_cm", "width_cm", "height_cm", "weight_kg", "active"]
        formfield_callback = model_form_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["weight_kg"].validators.append(MinValueValidator(Decimal(0)))


class FreightRateRowForm(forms.Form):
    """A row of an imported freight table (its service is found by the importer, which names
    each field by its column in the errors)."""

    cep_start = CepField()
    cep_end = CepField()
    weight_up_to_kg = DecimalField(max_digits=8, decimal_places=3, validators=[POSITIVE])
    price = AmountField()
    days = forms.IntegerField(min_value=0, max_value=MAX_DAYS)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("cep_start"), cleaned.get("cep_end")
        if start and end and end < start:
            self.add_error("cep_end", _("The range ends at or after the CEP it starts from."))
        return cleaned
