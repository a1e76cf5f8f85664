"""Forms of the customer and order screens."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from backoffice.forms import AmountField
from inventory.forms import ProductCodeField
from inventory.models import MAX_QUANTITY, Product

from .models import Address, Channel, City, Customer
from .validators import cep_in_uf, clean_cep, clean_document, clean_state_registration, document_kind, uf_of_cep


def _check_cep_in_city(form, cep, city):
    if cep and city and not cep_in_uf(cep, city.uf):
        form.add_error("cep", _("This CEP is in %(cep_uf)s, not in %(uf)s.")
                       % {"cep_uf": uf_of_cep(cep), "uf": city.uf})


class CustomerForm(forms.ModelForm):
    document = forms.CharField(label=_("CPF/CNPJ"), max_length=20)

    class Meta:
        model = Customer
        fields = ["kind", "name", "document", "state_registration", "email", "phone", "blocked", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        cleaned = super().clean()
        if "document" in cleaned and cleaned.get("kind"):
            try:
                _kind, cleaned["document"] = clean_document(cleaned["document"], cleaned["kind"])
            except ValidationError as exc:
                self.add_error("document", exc)
        try:
            cleaned["state_registration"] = clean_state_registration(cleaned.get("state_registration"),
                                                                     cleaned.get("kind"))
        except ValidationError as exc:
            self.add_error("state_registration", exc)
        return cleaned


class AddressForm(forms.ModelForm):
    cep = forms.CharField(label=_("CEP"), max_length=9)
    uf = forms.ChoiceField(label=_("UF"), choices=[])
    city = forms.ModelChoiceField(label=_("City"), queryset=City.objects.all())

    class Meta:
        model = Address
        fields = ["recipient", "cep", "street", "number", "complement", "district", "uf", "city", "is_default"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ufs = City.objects.order_by("uf").values_list("uf", flat=True).distinct()
        self.fields["uf"].choices = [("", "—")] + [(uf, uf) for uf in ufs]
        uf = self.data.get(self.add_prefix("uf")) or self.initial.get("uf") or (
            self.instance.city.uf if self.instance.pk else "")
        # Only the chosen UF's cities are offered (and accepted); an unknown UF is not even looked up
        # (PostgreSQL refuses a NUL byte in a query).
        self.fields["city"].queryset = City.objects.filter(uf=uf) if uf in ufs else City.objects.none()
        self.fields["city"].label_from_instance = lambda city: city.name
        if self.instance.pk:
            self.initial.setdefault("uf", self.instance.city.uf)

    def clean_cep(self):
        return clean_cep(self.cleaned_data["cep"])

    def clean(self):
        cleaned = super().clean()
        _check_cep_in_city(self, cleaned.get("cep"), cleaned.get("city"))
        return cleaned


class OrderItemForm(forms.Form):
    product = ProductCodeField(label=_("SKU or GTIN"), active_only=True,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1)
    unit_price = AmountField(label=_("Unit price"), required=False, help_text=_("Empty: the product's price."))
    discount = AmountField(label=_("Discount"), required=False)


class BaseItemFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("product") for form in self.forms if form.cleaned_data):
            raise ValidationError(_("Add at least one item."))


OrderItemFormSet = forms.formset_factory(OrderItemForm, formset=BaseItemFormSet, extra=3, max_num=50, validate_max=True)


class OrderForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.filter(merged_into__isnull=True),
                                      widget=forms.HiddenInput)
    address = forms.ModelChoiceField(label=_("Shipping address"), queryset=Address.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=[("manual", _("manual")), ("phone", _("phone"))])
    shipping = AmountField(label=_("Shipping (R$)"), initial=0)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customer_id = self.data.get("customer") or self.initial.get("customer")
        # An id is at most 18 digits: a longer number overflows the database's integers.
        if re.fullmatch(r"[0-9]{1,18}", str(customer_id or "")):
            addresses = Address.objects.filter(customer_id=customer_id).select_related("city")
            self.fields["address"].queryset = addresses
            # A customer with one address ships there: it comes chosen.
            if len(only := addresses[:2]) == 1:
                self.initial.setdefault("address", only[0].pk)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(label=_("Merge this customer into the one shown"),
                                   queryset=Customer.objects.filter(merged_into__isnull=True))


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend?"), coerce=int,
        choices=[(n, str(n)) for n in range(11)], widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Anything to tell us? (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class IntakeForm(forms.Form):
    """An order as a web store, an ERP (JSON API) or a spreadsheet sends it, flattened."""

    channel = forms.ChoiceField(choices=Channel.choices)
    external_id = forms.CharField(max_length=100)
    document = forms.CharField(max_length=20)
    name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=20, required=False)
    state_registration = forms.CharField(max_length=20, required=False)
    cep = forms.CharField(max_length=9)
    street = forms.CharField(max_length=150)
    number = forms.CharField(max_length=20)
    complement = forms.CharField(max_length=100, required=False)
    district = forms.CharField(max_length=100)
    city_ibge = forms.ModelChoiceField(queryset=City.objects.all(), to_field_name="code",
                                       error_messages={"invalid_choice": _("unknown IBGE city code")})
    # The API's contract: "125.90" or "125,90", no grouping, whatever the language.
    shipping = AmountField(required=False, strict=True)
    notes = forms.CharField(max_length=2000, required=False)

    def clean_document(self):
        _kind, document = clean_document(self.cleaned_data["document"])
        return document

    def clean_cep(self):
        return clean_cep(self.cleaned_data["cep"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("document"):
            try:
                cleaned["state_registration"] = clean_state_registration(cleaned.get("state_registration"),
                                                                         document_kind(cleaned["document"]))
            except ValidationError as exc:
                self.add_error("state_registration", exc)
        _check_cep_in_city(self, cleaned.get("cep"), cleaned.get("city_ibge"))
        return cleaned


class IntakeItemForm(forms.Form):
    sku = forms.CharField(max_length=60)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = AmountField(strict=True)
    discount = AmountField(required=False, strict=True)

    def clean_sku(self):
        product = Product.objects.filter(sku=self.cleaned_data["sku"].strip(), active=True).first()
        if product is None:
            raise ValidationError(_("no active product has this SKU"))
        return product
