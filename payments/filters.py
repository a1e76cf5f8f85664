"""Filters of the finance list screens."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.filters import amount_filter, day_filter, period_filter
from backoffice.search import text_search

from . import providers
from .models import CashEntry, Payment, Receivable, WebhookEvent


class PaymentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    provider = django_filters.ChoiceFilter(label=_("Provider"), choices=providers.choices, empty_label=_("All"))
    method = django_filters.ChoiceFilter(label=_("Method"), choices=Payment.Method.choices, empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Payment.Status.choices, empty_label=_("All"))
    created_at = period_filter()
    gross = amount_filter(_("Amount (R$)"))

    class Meta:
        model = Payment
        fields = ["q", "provider", "method", "status", "created_at", "gross"]

    def search(self, queryset, name, value):
        value = value.strip().lstrip("#")
        match = (text_search(value, "payer_name", "payer_email") | Q(provider_payment_id=value)
                 | Q(external_reference=value))
        if value.isdigit():
            match |= Q(order__number=int(value)) | Q(payer_document__startswith=value)
        return queryset.filter(match)


class WebhookEventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=WebhookEvent.Status.choices, empty_label=_("All"))
    received_at = period_filter()

    class Meta:
        model = WebhookEvent
        fields = ["status", "received_at"]


def past_due() -> Q:
    """The receivables still expected after their day: the home page counts them too (payments.work)."""
    return Q(status=Receivable.Status.EXPECTED, due_date__lt=timezone.localdate())


class ReceivableFilter(django_filters.FilterSet):
    due_date = day_filter(label=_("Day"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Receivable.Status.choices, empty_label=_("All"))
    provider = django_filters.ChoiceFilter(label=_("Provider"), field_name="payment__provider",
                                           choices=providers.choices, empty_label=_("All"))
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="by_overdue",
                                           widget=forms.Select(choices=[("", _("All")), ("true", _("Yes"))]))

    class Meta:
        model = Receivable
        fields = ["due_date", "status", "provider", "overdue"]

    def by_overdue(self, queryset, name, value):
        return queryset.filter(past_due()) if value else queryset


class CashEntryFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(label=_("Category"), choices=CashEntry.Category.choices,
                                           empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CashEntry.Status.choices, empty_label=_("All"))

    class Meta:
        model = CashEntry
        fields = ["category", "status"]
