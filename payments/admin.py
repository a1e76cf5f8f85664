"""Admin views of payments data: provider accounts (secrets are never shown back), fee and
settlement rules, and read-only views of the inbox, payments, receivables and refunds."""

from django import forms
from django.contrib import admin

from backoffice.admin import ReadOnlyAdmin, SecretFieldsAdmin, TimelineAdmin

from .models import Payment, ProviderAccount, Receivable, Refund, SettlementRule, WebhookEvent


class ProviderAccountForm(forms.ModelForm):
    access_token = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                                   help_text="Leave empty to keep the current one.")
    webhook_secret = forms.CharField(widget=forms.PasswordInput(render_value=False), required=False,
                                     help_text="Leave empty to keep the current one.")

    class Meta:
        model = ProviderAccount
        fields = ["provider", "name", "client_id", "access_token", "webhook_secret", "webhook_id", "active"]

    def clean(self):
        cleaned = super().clean()
        for name in ("access_token", "webhook_secret"):
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(ProviderAccount)
class ProviderAccountAdmin(SecretFieldsAdmin):
    form = ProviderAccountForm
    secret_fields = ("access_token", "webhook_secret")
    list_display = ("name", "provider", "active", "webhook_url")

    @admin.display(description="webhook URL")
    def webhook_url(self, account):
        return account.webhook_path()


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


@admin.register(Receivable)
class ReceivableAdmin(TimelineAdmin, ReadOnlyAdmin):
    list_display = ("due_date", "payment", "number", "gross", "fee", "net", "status")
    list_filter = ("status",)
    readonly_fields = ("timeline",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "payment", "amount", "created_by", "reason")
