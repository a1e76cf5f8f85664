"""Admin views of payments data: provider accounts (secrets are never shown back), fee and
settlement rules, and read-only views of the inbox, payments, receivables and refunds."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.admin import ReadOnlyAdmin, SecretFieldsAdmin, TimelineAdmin
from backoffice.fields import MoneyField
from backoffice.forms import MODEL_FORM_FIELDS
from backoffice.integrations.credentials import CredentialsForm, credentials_form

from .models import Payment, ProviderAccount, Receivable, Refund, SettlementRule, WebhookEvent
from .providers import PROVIDERS, provider


class ProviderAccountForm(CredentialsForm):
    class Meta:
        model = ProviderAccount
        fields = ["provider", "name", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.schema or self.instance.pk):
            self.fields["provider"].help_text = _("Its credentials are asked once the provider is chosen and the "
                                                  "form saved.")


@admin.register(ProviderAccount)
class ProviderAccountAdmin(SecretFieldsAdmin):
    """The credentials asked are those of the account's provider (of the one chosen, once the
    form is sent: a new account's are asked after its provider is)."""

    secret_fields = ("credentials",)
    list_display = ("name", "provider", "active", "webhook_url")

    @admin.display(description="webhook URL")
    def webhook_url(self, account):
        return account.webhook_path()

    def _schema(self, request, obj):
        """The credentials of the provider sent, else of the account's, else of `?provider=`."""
        code = request.POST.get("provider") or (obj.provider if obj else request.GET.get("provider"))
        return provider(code).credentials if code in PROVIDERS else ()

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = credentials_form(ProviderAccountForm, self._schema(request, obj))
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["provider", "name", *(field.name for field in self._schema(request, obj)), "active"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("received_at", "account", "status", "resource_id", "error")
    list_filter = ("status", "account")
    readonly_fields = ("account", "received_at", "headers", "query", "body", "status", "error", "resource_id",
                       "timeline")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "provider", "provider_payment_id", "order", "method", "status", "gross", "net")
    list_filter = ("provider", "method", "status")
    search_fields = ("provider_payment_id", "payer_name", "payer_email", "external_reference")


@admin.register(SettlementRule)
class SettlementRuleAdmin(admin.ModelAdmin):
    list_display = ("provider", "method", "fee_percent", "fee_fixed", "days_to_first", "days_between")
    # The fees as staff type them ("0,99", "4,99"), like every form of the back office; Django's
    # own date widgets stay.
    formfield_overrides = {kind: MODEL_FORM_FIELDS[kind] for kind in (MoneyField, models.DecimalField)}


@admin.register(Receivable)
class ReceivableAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("due_date", "payment", "number", "gross", "fee", "net", "status")
    list_filter = ("status",)
    readonly_fields = ("timeline",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount", "created_by", "reason")
