"""Filters of the NF-e list, the tax rules and the voided ranges."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import period_filter, yes_no_filter
from backoffice.search import text_search

from .models import Invoice, Operation, RegimeGroup, TaxRule, VoidedRange

KEY_LENGTH = 44
# Shorter than this, a CPF/CNPJ is matched whole rather than by its beginning.
PREFIX_FROM = 3


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Invoice.Status.choices, empty_label=_("All"))
    issued_at = period_filter()
    series = django_filters.NumberFilter(label=_("Series"), min_value=0, max_value=999)
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=Operation.choices, empty_label=_("All"))

    class Meta:
        model = Invoice
        fields = ["q", "status", "issued_at", "series", "operation"]

    def search(self, queryset, name, value):
        """What staff type: the NF-e's number, its access key (whole, spaced or not), the
        recipient's CPF/CNPJ (its beginning, with or without punctuation) or name (accents
        and case ignored), or the order's number (#2001)."""
        value = value.strip()
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        if len(compact) == KEY_LENGTH:
            return queryset.filter(key=compact)
        match = text_search(value, "recipient_name")
        number = value.lstrip("#")
        if number.isdecimal() and int(number) < 2**31:  # isdigit() passes "²", which int() refuses
            match |= Q(number=int(number)) | Q(order__number=int(number))
        if any(ch.isdigit() for ch in compact) and len(compact) >= PREFIX_FROM:
            match |= Q(recipient_document__startswith=compact)
        return queryset.filter(match)


class TaxRuleFilter(django_filters.FilterSet):
    operation = django_filters.ChoiceFilter(label=_("Operation"), choices=Operation.choices, empty_label=_("All"))
    regime = django_filters.ChoiceFilter(label=_("Regime"), choices=RegimeGroup.choices, empty_label=_("All"))
    cfop = django_filters.CharFilter(label=_("CFOP"), lookup_expr="startswith", max_length=4)
    active = yes_no_filter(_("Active"))

    class Meta:
        model = TaxRule
        fields = ["operation", "regime", "cfop", "active"]


class VoidedRangeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=VoidedRange.Status.choices,
                                         empty_label=_("All"))
    series = django_filters.NumberFilter(label=_("Series"), min_value=0, max_value=999)
    created_at = period_filter()

    class Meta:
        model = VoidedRange
        fields = ["status", "series", "created_at"]
