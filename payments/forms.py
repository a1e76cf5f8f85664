"""Forms of the finance screens."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.forms import AmountField, DateField, model_form_field
from backoffice.money import CENT
from orders.models import Order

from .models import CashEntry, Payment, ProviderAccount
from .providers import PROVIDERS, provider


def _amount_field(label):
    return AmountField(label=label, min_value=CENT)


class RefundForm(forms.Form):
    amount = _amount_field(_("Amount (R$)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ManualPaymentForm(forms.Form):
    """Money received outside a provider's API: a Pix to the store's key, a transfer, a boleto."""

    account = forms.ModelChoiceField(label=_("Account"), empty_label=None,
                                     queryset=ProviderAccount.objects.filter(provider="manual", active=True))
    order = forms.IntegerField(label=_("Order number"), min_value=1, required=False)
    method = forms.ChoiceField(label=_("Method"),
                               choices=[(m, Payment.Method(m).label) for m in ("pix", "transfer", "boleto")])
    amount = _amount_field(_("Amount (R$)"))
    paid_on = DateField(label=_("Received on"), initial=timezone.localdate)
    reference = forms.CharField(label=_("Reference"), max_length=100,
                                help_text=_("The Pix end-to-end id, transfer or boleto number: it is recorded once."))
    payer_name = forms.CharField(label=_("Payer"), max_length=150, required=False)

    def clean_order(self):
        number = self.cleaned_data.get("order")
        if number and not Order.objects.filter(number=number).exists():
            raise forms.ValidationError(_("There is no order #%(number)s.") % {"number": number})
        return number

    def clean(self):
        cleaned = super().clean()
        reference = cleaned.get("reference", "").strip()
        if reference and Payment.objects.filter(provider="manual", provider_payment_id=reference).exists():
            self.add_error("reference", _("A payment with this reference was already recorded."))
        return cleaned


class CashEntryForm(forms.ModelForm):
    amount = _amount_field(_("Amount (R$)"))

    class Meta:
        model = CashEntry
        fields = ["date", "category", "amount", "status", "description"]
        formfield_callback = model_form_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate
        self.fields["description"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == CashEntry.Status.SCHEDULED and cleaned.get("date") and \
                cleaned["date"] < timezone.localdate():
            self.add_error("date", _("A scheduled entry is dated today or later."))
        return cleaned


class SandboxPayForm(forms.Form):
    """Sandbox mode: the buyer pays an order at one of the store's provider accounts."""

    account = forms.ModelChoiceField(label=_("Pay with"), empty_label=None, queryset=ProviderAccount.objects.filter(
        provider__in=PROVIDERS.sandboxed(), active=True))
    installments = forms.TypedChoiceField(label=_("Installments"), coerce=int, initial=1,
                                          choices=[(n, f"{n}x") for n in range(1, 13)],
                                          help_text=_("Card installments (Mercado Pago)."))


class ReleasesForm(forms.Form):
    """A provider account's statement for a period (Mercado Pago's reports hold 60 days at most)."""

    MAX_DAYS = 60

    account = forms.ModelChoiceField(label=_("Account"), empty_label=None, queryset=ProviderAccount.objects.none())
    start = DateField(label=_("From"))
    end = DateField(label=_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ProviderAccount.objects.filter(
            active=True, provider__in=[code for code in PROVIDERS if provider(code).lists_releases])

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and not 0 <= (end - start).days < self.MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of 1 to %(days)d days, ending after it starts.")
                                        % {"days": self.MAX_DAYS})
        return data
