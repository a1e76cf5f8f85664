"""Forms of the returns: one asked for (the units of each item that come back, why), approved (the
reverse-shipping service and the carrier's code, typed), refused (why), received (at which
warehouse), inspected (what becomes of each item) and closed by finance (the refund, typed as
Brazilians write it: 1.234,56)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.forms import AmountField
from inventory.models import Warehouse

from .forms import TRACKING_CODE
from .models import CarrierService, ReturnItem, ReturnRequest

REVERSE_CODE_MAX = ReturnRequest._meta.get_field("reverse_code").max_length
# What may be typed for it: the code and the spaces a carrier's system prints between its groups.
REVERSE_CODE_TYPED = REVERSE_CODE_MAX + 20
NOTE_MAX = ReturnItem._meta.get_field("note").max_length
DETAILS_MAX = 2000
REFUSAL_MAX = 500


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


def _reasons():
    return [("", "—"), *ReturnRequest.Reason.choices]


class RequestForm(forms.Form):
    """A return of an order: the units of each item that come back (none at first, never more than
    are left to come back: sold, less those in other returns), why, and what the customer said."""

    reason = forms.ChoiceField(label=_label(ReturnRequest, "reason"), choices=_reasons,
                               error_messages={"required": _("Choose why the goods come back.")})
    details = forms.CharField(label=_label(ReturnRequest, "details"), required=False, max_length=DETAILS_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("What the customer said, the state the goods are in."))

    def __init__(self, data=None, *, items, left: dict[int, int]):
        """`items`: the order's items; `left`: the units of each (by id) that may still come back."""
        super().__init__(data)
        self.items = []
        for item in items:
            name, most = f"item_{item.pk}", left.get(item.pk, 0)
            self.fields[name] = forms.IntegerField(
                label=f"{item.sku} — {item.name}", min_value=0, max_value=most, initial=0, required=False,
                disabled=not most,
                error_messages={"max_value": _("Only %(left)d of that item can still come back.") % {"left": most},
                                "min_value": _("Type how many units come back, zero or more.")},
                help_text=_("%(sold)d sold: up to %(left)d can come back.") % {"sold": item.quantity, "left": most})
            self.items.append((item, self[name]))

    def clean(self):
        cleaned = super().clean()
        self.quantities = {item.pk: cleaned[f"item_{item.pk}"] for item, _field in self.items
                           if cleaned.get(f"item_{item.pk}")}
        if not self.errors and not self.quantities:
            raise ValidationError(_("Say how many units of each item come back."), code="required")
        return cleaned


class ApproveForm(forms.Form):
    """The return approved: the service the goods come back by, and the reverse authorization its
    carrier gave (typed from its system); without one the store's own code is given."""

    service = forms.ModelChoiceField(label=_label(ReturnRequest, "reverse_service"),
                                     queryset=CarrierService.objects.none(), required=False, empty_label="—")
    reverse_code = forms.CharField(label=_label(ReturnRequest, "reverse_code"), max_length=REVERSE_CODE_TYPED,
                                   required=False,
                                   help_text=_("The carrier's reverse authorization; empty: the store's own code."))

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["service"].queryset = (CarrierService.objects.filter(active=True, carrier__active=True)
                                           .select_related("carrier"))
        self.fields["reverse_code"].widget.attrs.update(autocomplete="off", autocapitalize="characters",
                                                        spellcheck="false")

    def clean_reverse_code(self):
        code = "".join(self.cleaned_data["reverse_code"].split()).upper()
        if code and not TRACKING_CODE.fullmatch(code):
            raise ValidationError(_("Type the code as the carrier gives it: letters, digits and hyphens."),
                                  code="invalid")
        if len(code) > REVERSE_CODE_MAX:
            raise ValidationError(_("A reverse-shipping code has at most %(limit)d characters."), code="max_length",
                                  params={"limit": REVERSE_CODE_MAX})
        return code


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why is it refused?"), max_length=REFUSAL_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Say why the return is refused.")})


class ReceiveForm(forms.Form):
    """The goods arrived: at which warehouse (the first active one, by priority, at first)."""

    warehouse = forms.ModelChoiceField(label=_label(ReturnRequest, "warehouse"), queryset=Warehouse.objects.none(),
                                       empty_label=None)

    def __init__(self, data=None):
        super().__init__(data)
        field = self.fields["warehouse"]
        field.queryset = Warehouse.objects.filter(active=True).order_by("priority", "code")
        field.initial = field.queryset.values_list("pk", flat=True).first()


class InspectForm(forms.Form):
    """What becomes of each item that came back: back to stock, to quality control, or written off,
    with a note (what was found)."""

    def __init__(self, data=None, *, items):
        """`items`: the return's items."""
        super().__init__(data)
        self.items = []
        for item in items:
            outcome, note = f"outcome_{item.pk}", f"note_{item.pk}"
            self.fields[outcome] = forms.ChoiceField(
                label=_label(ReturnItem, "outcome"), choices=[("", "—"), *ReturnItem.Outcome.choices],
                error_messages={"required": _("Choose what becomes of each item.")})
            self.fields[note] = forms.CharField(label=_label(ReturnItem, "note"), required=False,
                                                max_length=NOTE_MAX)
            self.items.append((item, self[outcome], self[note]))

    @property
    def outcomes(self) -> dict[int, tuple[str, str]]:
        """The outcome and the note of each item (by id), once valid."""
        return {item.pk: (self.cleaned_data[f"outcome_{item.pk}"], self.cleaned_data[f"note_{item.pk}"])
                for item, _outcome, _note in self.items}


class CloseForm(forms.Form):
    """The refund finance gives back as the return closes (what the units were paid for, at first)."""

    refund = AmountField(label=_("Refund (R$)"))

    def __init__(self, data=None, *, value, most):
        super().__init__(data, initial={"refund": value})
        self.fields["refund"].help_text = _(
            "What the units that came back were paid for; with the shipping, at most %(most)s.") % {"most": most}
