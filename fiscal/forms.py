"""Forms of the fiscal screens: the profile and its A1 certificate, the series, the tax rules and
the states' rates, voiding numbers, and an NF-e's events (cancellation, CC-e) and return."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import modelformset_factory
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.forms import DecimalField, model_form_field
from backoffice.money import format_number
from orders.models import City
from orders.validators import cep_in_uf, clean_cep, clean_document, uf_of_cep

from .models import UF_CHOICES, FiscalProfile, RegimeGroup, Scope, Series, StateTaxRate, TaxRule
from .services import CORRECTION_MAX, CORRECTION_MIN, REASON_MAX, REASON_MIN

CERTIFICATE_MAX_BYTES = 1024 * 1024


# What people type between the digits of a registration number or a code.
PUNCTUATION = re.compile(r"[\s.\-/()]")


class DigitsField(forms.CharField):
    """A number or code typed with or without its punctuation ("4781-4/00", "(11) 3456-7890"),
    kept as its digits; anything else is refused, with an example."""

    def __init__(self, *, length: tuple[int, int], example: str, **kwargs):
        self.length, self.example = length, example
        kwargs.setdefault("max_length", length[1] + 8)
        super().__init__(**kwargs)

    def to_python(self, value):
        return PUNCTUATION.sub("", super().to_python(value))

    def validate(self, value):
        super().validate(value)
        low, high = self.length
        if value and not (low <= len(value) <= high and value.isascii() and value.isdigit()):
            message = (_("Type the %(high)d digits, e.g. %(example)s.") if low == high
                       else _("Type %(low)d to %(high)d digits, e.g. %(example)s."))
            raise ValidationError(message, code="invalid", params={"low": low, "high": high, "example": self.example})


def shown_quantity(value: Decimal) -> str:
    """A quantity in the reader's format, without decimals when it is whole (2, not 2,0000)."""
    return format_number(value, 0 if value == value.to_integral_value() else 4)


def reason_field(label, *, minimum=REASON_MIN, maximum=REASON_MAX, placeholder=""):
    """A justification (or a correction) as SEFAZ takes it: 15 characters at least."""
    return forms.CharField(
        label=label, min_length=minimum, max_length=maximum,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": placeholder, "minlength": minimum,
                                     "maxlength": maximum}),
        error_messages={
            "min_length": _("Write at least %(limit_value)d characters (%(show_value)d now): SEFAZ refuses a "
                            "shorter text."),
            "max_length": _("Write at most %(limit_value)d characters (%(show_value)d now)."),
        })


class FiscalProfileForm(forms.ModelForm):
    """The issuer: CNPJ (numeric or alphanumeric), registrations, regime, address with its IBGE
    city, environment and the accountant's address. The certificate has its own form."""

    cnpj = forms.CharField(label=_("CNPJ"), max_length=18, help_text=_("Numeric or alphanumeric (from July 2026)."))
    state_registration = forms.CharField(label=capfirst(_("state registration (IE)")), max_length=20)
    municipal_registration = DigitsField(label=capfirst(_("municipal registration (IM)")), length=(1, 15),
                                         required=False, example="1234567")
    cnae = DigitsField(label=_("CNAE"), length=(7, 7), required=False, example="4781-4/00",
                       help_text=_("The main activity."))
    cep = forms.CharField(label=_("CEP"), max_length=9)
    uf = forms.ChoiceField(label=_("UF"), choices=[("", "—"), *UF_CHOICES])
    city = forms.ModelChoiceField(label=capfirst(_("city")), queryset=City.objects.none(),
                                  help_text=_("Its IBGE code goes on every NF-e."))
    phone = DigitsField(label=capfirst(_("phone")), length=(6, 14), required=False, example="(11) 3456-7890")

    class Meta:
        model = FiscalProfile
        fields = ["legal_name", "trade_name", "cnpj", "state_registration", "municipal_registration", "cnae",
                  "regime", "cep", "street", "number", "complement", "district", "uf", "city", "phone",
                  "environment", "accountant_email"]
        formfield_callback = model_form_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_name"].widget.attrs["autofocus"] = True
        if self.instance.pk:
            self.initial.setdefault("uf", self.instance.city.uf)
        uf = self.data.get(self.add_prefix("uf")) if self.is_bound else self.initial.get("uf", "")
        # Only the chosen UF's cities are offered (and accepted); an unknown UF is not even looked up.
        if uf in dict(UF_CHOICES):
            self.fields["city"].queryset = City.objects.filter(uf=uf)
        self.fields["city"].label_from_instance = lambda city: f"{city.name} ({city.code})"

    def clean_cnpj(self):
        return clean_document(self.cleaned_data["cnpj"], "company")[1]

    def clean_state_registration(self):
        value = PUNCTUATION.sub("", self.cleaned_data["state_registration"]).upper()
        if not re.fullmatch(r"[0-9]{2,14}|ISENTO", value):
            raise ValidationError(_("Type the IE's 2 to 14 digits, or ISENTO."), code="invalid")
        return value

    def clean_cep(self):
        return clean_cep(self.cleaned_data["cep"])

    def clean(self):
        cleaned = super().clean()
        cep, city = cleaned.get("cep"), cleaned.get("city")
        if cep and city and not cep_in_uf(cep, city.uf):
            self.add_error("cep", _("This CEP is in %(cep_uf)s, not in %(uf)s.") % {"cep_uf": uf_of_cep(cep),
                                                                                   "uf": city.uf})
        return cleaned


class CertificateForm(forms.Form):
    """The store's A1 certificate: its .pfx (or .p12) file and password. The password is never shown back."""

    pfx = forms.FileField(label=capfirst(_("A1 certificate file (.pfx or .p12)")),
                          widget=forms.ClearableFileInput(attrs={"accept": ".pfx,.p12,application/x-pkcs12"}))
    password = forms.CharField(label=capfirst(_("certificate password")), strip=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    def clean_pfx(self):
        upload = self.cleaned_data["pfx"]
        if not upload.name.lower().endswith((".pfx", ".p12")):
            raise ValidationError(_("Send the certificate's .pfx or .p12 file."))
        if upload.size > CERTIFICATE_MAX_BYTES:
            raise ValidationError(_("An A1 certificate file is a few kilobytes: this one is larger than 1 MB."))
        return upload.read()


class SeriesForm(forms.ModelForm):
    """A numbering series; once created, only its next number (forward) and whether it is in use change."""

    class Meta:
        model = Series
        fields = ["environment", "number", "next_number", "active"]
        help_texts = {"next_number": _("Only moves forward. Numbers skipped must be voided (inutilização)."),
                      "number": _("0 to 999.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].validators.append(MaxValueValidator(999))
        self.fields["next_number"].validators += [MinValueValidator(1), MaxValueValidator(999_999_999)]
        if self.instance.pk:
            for name in ("environment", "number"):
                self.fields[name].disabled = True
            self.fields["next_number"].min_value = self.instance.next_number
            self.fields["next_number"].validators.append(MinValueValidator(self.instance.next_number))
            self.fields["next_number"].widget.attrs.update(min=self.instance.next_number, autofocus=True)


RATE_FIELDS = ("icms_rate", "icms_base_reduction", "sn_credit_rate", "st_rate", "fcp_rate", "ipi_rate", "pis_rate",
               "cofins_rate", "cbs_rate", "ibs_state_rate", "ibs_city_rate")


class TaxRuleForm(forms.ModelForm):
    """A tax rule: codes as the NF-e writes them (CFOP, CST or CSOSN, cClassTrib) and rates in percent."""

    ncm_prefix = DigitsField(label=capfirst(_("NCM prefix")), length=(2, 8), required=False, example="6109",
                             help_text=TaxRule._meta.get_field("ncm_prefix").help_text)
    cfop = DigitsField(label=_("CFOP"), length=(4, 4), example="5102")

    class Meta:
        model = TaxRule
        fields = ["operation", "regime", "scope", "origin_uf", "destination_uf", "ncm_prefix", "priority", "cfop",
                  "icms_code", *RATE_FIELDS[:3], "st_mva", *RATE_FIELDS[3:6], "ipi_cst", "ipi_framework",
                  "pis_cst", "pis_rate", "cofins_cst", "cofins_rate", "ibscbs_cst", "ibscbs_class", "cbs_rate",
                  "ibs_state_rate", "ibs_city_rate", "active", "notes"]
        formfield_callback = model_form_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].widget.attrs["autofocus"] = True
        for name in RATE_FIELDS:
            self.fields[name].validators += [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
        self.fields["st_mva"].validators.append(MinValueValidator(Decimal(0)))

    def clean(self):
        cleaned = super().clean()
        cfop, scope, operation = cleaned.get("cfop", ""), cleaned.get("scope"), cleaned.get("operation")
        if cfop:
            if cfop[0] not in "1256":
                self.add_error("cfop", _("A CFOP has 4 digits, starting 5 or 6 (out) or 1 or 2 (in), e.g. 5102."))
            elif operation and (cfop[0] in "12") != (operation == "return"):
                self.add_error("cfop", _("A customer return takes an entry CFOP (1xxx, 2xxx); the other "
                                         "operations an exit CFOP (5xxx, 6xxx)."))
            elif scope and scope != Scope.ANY and (cfop[0] in "15") != (scope == Scope.INTERNAL):
                self.add_error("cfop", _("Within the state the CFOP starts 1 or 5; between states, 2 or 6."))
        code, regime = cleaned.get("icms_code", ""), cleaned.get("regime")
        if code and regime:
            length = 3 if regime == RegimeGroup.SIMPLES else 2
            if not re.fullmatch(rf"[0-9]{{{length}}}", code):
                self.add_error("icms_code", _("Simples Nacional takes a CSOSN of 3 digits (e.g. 102); Regime Normal "
                                              "a CST of 2 digits (e.g. 00)."))
        for name, length in (("ipi_cst", 2), ("pis_cst", 2), ("cofins_cst", 2), ("ibscbs_cst", 3),
                             ("ibscbs_class", 6), ("ipi_framework", 3)):
            value = cleaned.get(name, "")
            if value and not re.fullmatch(rf"[0-9]{{{length}}}", value):
                self.add_error(name, _("Type %(length)d digits.") % {"length": length})
        if bool(cleaned.get("ibscbs_cst")) != bool(cleaned.get("ibscbs_class")):
            self.add_error("ibscbs_class", _("IBS/CBS needs both its CST and its cClassTrib, or neither."))
        return cleaned


class StateTaxRateForm(forms.ModelForm):
    icms_rate = DecimalField(label=capfirst(_("internal ICMS rate (%)")), max_digits=7, decimal_places=4,
                             validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    fcp_rate = DecimalField(label=capfirst(_("FCP rate (%)")), max_digits=7, decimal_places=4,
                            validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])

    class Meta:
        model = StateTaxRate
        fields = ["icms_rate", "fcp_rate"]


StateTaxRateFormSet = modelformset_factory(StateTaxRate, form=StateTaxRateForm, extra=0, can_delete=False)


class VoidRangeForm(forms.Form):
    """Numbers of a series declared unused (inutilização)."""

    series = forms.ModelChoiceField(label=_("Series"), queryset=Series.objects.all())
    first = forms.IntegerField(label=capfirst(_("from number")), min_value=1, max_value=999_999_999)
    last = forms.IntegerField(label=capfirst(_("to number")), min_value=1, max_value=999_999_999)
    reason = reason_field(capfirst(_("justification")),
                          placeholder=_("e.g. numbers skipped by a failure of the system"))

    def __init__(self, *args, environment=None, **kwargs):
        super().__init__(*args, **kwargs)
        if environment is not None:
            self.fields["series"].queryset = Series.objects.filter(environment=environment)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("first") and cleaned.get("last") and cleaned["last"] < cleaned["first"]:
            self.add_error("last", _("The last number comes after the first."))
        return cleaned


class CancelForm(forms.Form):
    reason = reason_field(_("Why cancel?"), placeholder=_("e.g. the customer gave up before the goods left"))


class CorrectionForm(forms.Form):
    text = reason_field(_("Correction"), minimum=CORRECTION_MIN, maximum=CORRECTION_MAX,
                        placeholder=_("e.g. the recipient's address number is 1000, not 100"))


class VoidNumberForm(forms.Form):
    reason = reason_field(_("Why void this number?"), placeholder=_("e.g. rejected and will not be issued"))


class ReturnForm(forms.Form):
    """The quantities of each item of an NF-e that come back: never more than is left to return."""

    def __init__(self, *args, returnable, **kwargs):
        """`returnable`: (item, quantity returned before, quantity still returnable) of each item of the original."""
        super().__init__(*args, **kwargs)
        self.items = []
        for item, returned, left in returnable:
            name = f"item_{item.pk}"
            self.fields[name] = DecimalField(
                label=f"{item.position}. {item.sku} — {item.name}", max_digits=15, decimal_places=4, required=False,
                min_value=Decimal(0), max_value=left, disabled=not left,
                error_messages={"max_value": _("Only %(left)s left to return.") % {"left": shown_quantity(left)}},
                help_text=_("%(sold)s sold, %(returned)s returned before: up to %(left)s.") % {
                    "sold": shown_quantity(item.quantity), "returned": shown_quantity(returned),
                    "left": shown_quantity(left)})
            self.items.append((item, self[name]))

    def clean(self):
        cleaned = super().clean()
        self.quantities = {item.pk: cleaned[f"item_{item.pk}"] for item, _field in self.items
                           if cleaned.get(f"item_{item.pk}")}
        if not self.errors and not self.quantities:
            raise ValidationError(_("Type the quantity of at least one item that comes back."))
        return cleaned
