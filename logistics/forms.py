"""Forms of the packing bench: a parcel begun (its service, priced for the order, and its box), a
code scanned into it, the parcel weighed and measured as the scale and the tape read (0,750 kg), and
handed to its carrier with the tracking code its own system gave."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backoffice.forms import DecimalField
from backoffice.money import format_money
from backoffice.templatetags.backoffice import dt

from .models import Box, Carrier, CarrierService, Shipment
from .quotes import Option

# A tracking code as carriers print it: letters, digits and hyphens (spaces typed between are dropped).
TRACKING_CODE = re.compile(r"[A-Za-z0-9-]+", re.ASCII)
TRACKING_MAX = Shipment._meta.get_field("tracking_code").max_length
# Carriers whose tracking code comes from their own system: staff type it when there is no API.
TYPED_CODE = (Carrier.Kind.CARRIER, Carrier.Kind.MARKETPLACE)


def option_text(service: CarrierService, option: Option | None) -> str:
    """A service as the choice reads it: its price and promise for the order's parcel, or that its
    table does not take it."""
    if option is None:
        return _("%(service)s — its table does not take this parcel") % {"service": service}
    return ngettext("%(service)s — %(price)s, %(days)d business day, by %(date)s",
                    "%(service)s — %(price)s, %(days)d business days, by %(date)s", option.days) % {
        "service": service, "price": format_money(option.price), "days": option.days,
        "date": dt(option.promised_on)}


def _boxes():
    return Box.objects.filter(active=True)


class StartForm(forms.Form):
    """A parcel of an order begun: the service it goes by (each priced from its table for the order's
    items; the cheapest chosen at first) and, if already known, the box it is packed in."""

    service = forms.ModelChoiceField(label=_("Service"), queryset=CarrierService.objects.none(), empty_label=None)
    box = forms.ModelChoiceField(label=_("Box"), queryset=Box.objects.none(), required=False,
                                 empty_label=_("Chosen when weighing"))

    def __init__(self, data=None, *, options: list[Option]):
        super().__init__(data)
        priced = {option.service.pk: option for option in options}
        service = self.fields["service"]
        service.queryset = CarrierService.objects.filter(active=True, carrier__active=True).select_related("carrier")
        service.label_from_instance = lambda choice: option_text(choice, priced.get(choice.pk))
        if options:
            service.initial = options[0].service.pk
        self.fields["box"].queryset = _boxes()


class ScanForm(forms.Form):
    """What the scanner typed (or a person did): a SKU or a GTIN. An empty one is the service's to refuse."""

    code = forms.CharField(label=_("SKU or GTIN"), max_length=60, required=False)


def _size(label):
    return DecimalField(label=label, max_digits=6, decimal_places=1, required=False)


class PackForm(forms.Form):
    """The parcel weighed (as the scale reads: 0,750) and its size: the box's, or measured."""

    weight_kg = DecimalField(label=_("Weight (kg)"), max_digits=8, decimal_places=3,
                             help_text=_("As the scale shows it, e.g. 0,750."))
    box = forms.ModelChoiceField(label=_("Box"), queryset=Box.objects.none(), required=False,
                                 empty_label=_("None: type the size"))
    length_cm = _size(_("Length (cm)"))
    width_cm = _size(_("Width (cm)"))
    height_cm = _size(_("Height (cm)"))

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["box"].queryset = _boxes()
        self.fields["weight_kg"].widget.attrs.update(autofocus=True, placeholder="0,750")


class ShipForm(forms.Form):
    """The parcel handed to its carrier. A carrier with an API gives the tracking code itself; one
    without gives it on its own system, where staff copy it from; the store's own fleet and pickup
    in store need none (ours is given)."""

    tracking_code = forms.CharField(label=_("Tracking code"), max_length=60)

    def __init__(self, data=None, *, carrier: Carrier):
        super().__init__(data)
        if carrier.provider:
            del self.fields["tracking_code"]
            return
        field = self.fields["tracking_code"]
        field.required = carrier.kind in TYPED_CODE
        field.help_text = (_("As %(carrier)s's system gave it.") % {"carrier": carrier} if field.required
                           else _("Optional: without one, the parcel gets the store's own code."))
        field.widget.attrs.update(autocomplete="off", autocapitalize="characters", spellcheck="false")

    def clean_tracking_code(self):
        code = "".join(self.cleaned_data["tracking_code"].split()).upper()
        if code and not TRACKING_CODE.fullmatch(code):
            raise ValidationError(_("Type the code as the carrier gives it: letters, digits and hyphens."),
                                  code="invalid")
        if len(code) > TRACKING_MAX:
            raise ValidationError(_("A tracking code has at most %(limit)d characters."), code="max_length",
                                  params={"limit": TRACKING_MAX})
        return code
