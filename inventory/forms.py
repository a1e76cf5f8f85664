"""Forms of the inventory screens; each validates input before a service changes anything."""

from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError

from backoffice.forms import AmountField, model_form_field

from .models import MAX_QUANTITY, Product, State, Warehouse
from .selectors import product_by_code


def clean_gtin(value: str) -> str:
    """An empty value, or a valid GTIN-8/12/13/14 (EAN/UPC) without separators."""
    value = (value or "").strip().replace(" ", "").replace("-", "")
    if not value:
        return ""
    try:
        return ean.validate(value)
    except StdnumError as exc:
        raise forms.ValidationError(_("Invalid GTIN/EAN: check the digits.")) from exc


def clean_ncm(value: str) -> str:
    return (value or "").strip().replace(".", "")


class ProductForm(forms.ModelForm):
    # Longer than stored: typed with dots, spaces or hyphens, which the clean_ methods drop.
    ncm = forms.CharField(label=_("NCM"), max_length=12, help_text=_("8 digits, e.g. 6109.10.00"))
    gtin = forms.CharField(label=_("GTIN/EAN"), max_length=20, required=False)

    class Meta:
        model = Product
        fields = [
            "sku", "name", "parent", "variant_label", "gtin", "ncm", "cest", "origin", "unit", "price",
            "reorder_point", "gross_weight_kg", "net_weight_kg", "height_cm", "width_cm", "length_cm", "image",
        ]
        formfield_callback = model_form_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Product.objects.filter(parent__isnull=True).exclude(pk=self.instance.pk)

    def clean_gtin(self):
        return clean_gtin(self.cleaned_data.get("gtin"))

    def clean_ncm(self):
        return clean_ncm(self.cleaned_data.get("ncm"))

    def clean_sku(self):
        return self.cleaned_data["sku"].strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("net_weight_kg") and cleaned.get("gross_weight_kg") is not None:
            if cleaned["net_weight_kg"] > cleaned["gross_weight_kg"]:
                self.add_error("net_weight_kg", _("The net weight cannot exceed the gross weight."))
        return cleaned


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "priority", "active"]


class ProductCodeField(forms.CharField):
    """A SKU or GTIN/EAN, typed or scanned; cleans to the Product (an active one when selling)."""

    def __init__(self, *args, active_only=False, **kwargs):
        self.active_only = active_only
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = super().clean(value)
        product = product_by_code(code)
        if self.active_only and (product is None or not product.active):
            raise forms.ValidationError(_("No active product has the SKU or GTIN “%(code)s”.") % {"code": code})
        if product is None:
            raise forms.ValidationError(_("No product has the SKU or GTIN “%(code)s”.") % {"code": code})
        return product


def _warehouse_field(label=_("Warehouse")):
    return forms.ModelChoiceField(label=label, queryset=Warehouse.objects.filter(active=True))


class ReceiptForm(forms.Form):
    product = ProductCodeField(label=_("SKU or GTIN"),
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    warehouse = _warehouse_field()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    unit_cost = AmountField(label=_("Unit cost (R$)"))
    supplier = forms.CharField(label=_("Supplier"), max_length=150, required=False)
    reference = forms.CharField(label=_("Supplier invoice / reference"), max_length=100, required=False)
    to_quality_control = forms.BooleanField(label=_("Put into quality control first"), required=False)


class AdjustForm(forms.Form):
    """Inline on the product page: a count of one warehouse."""

    warehouse = _warehouse_field()
    counted = forms.IntegerField(label=_("Counted on hand"), min_value=0, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class TransferForm(forms.Form):
    source = _warehouse_field(_("From"))
    destination = _warehouse_field(_("To"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("destination"):
            raise forms.ValidationError(_("Choose two different warehouses."))
        return cleaned


INSIDE_STATES = [(s.value, s.label) for s in State if s != State.OUTSIDE]


class StateChangeForm(forms.Form):
    warehouse = _warehouse_field()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    from_state = forms.ChoiceField(label=_("From"), choices=INSIDE_STATES)
    to_state = forms.ChoiceField(label=_("To"), choices=INSIDE_STATES, initial=State.SELLABLE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_state") and cleaned.get("from_state") == cleaned.get("to_state"):
            raise forms.ValidationError(_("Choose two different states."))
        return cleaned


class WriteOffForm(forms.Form):
    warehouse = _warehouse_field()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    from_state = forms.ChoiceField(label=_("From"), choices=INSIDE_STATES, initial=State.DAMAGED)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReturnForm(forms.Form):
    warehouse = _warehouse_field()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    to_state = forms.ChoiceField(label=_("Into"), choices=INSIDE_STATES, initial=State.QUALITY_CONTROL)
    reference = forms.CharField(label=_("Order or return reference"), max_length=100, required=False)
