"""Filters of the customer and order lists."""

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import period_filter, yes_no_filter

from .models import Channel, Customer, Order, Status, SurveyAnswer
from .selectors import customer_match


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Customer.Kind.choices, empty_label=_("All"))
    blocked = yes_no_filter(_("Blocked"))

    class Meta:
        model = Customer
        fields = ["q", "kind", "blocked"]

    def search(self, queryset, name, value):
        return queryset.filter(customer_match(value))


# Customers whose CPF/CNPJ starts with what was typed, beyond which the search asks the
# database for them in a subquery instead.
DOCUMENT_MATCHES = 1000
PAYMENT_STATES = [("unpaid", _("unpaid")), ("partial", _("partly paid")), ("paid", _("paid in full"))]


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=_("All"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All"))
    placed_at = period_filter()
    ship_uf = django_filters.CharFilter(label=_("UF"), method="by_uf", max_length=2)
    payment = django_filters.ChoiceFilter(label=_("Payment"), choices=PAYMENT_STATES, method="by_payment",
                                          empty_label=_("All"))
    queue = django_filters.BooleanFilter(
        label=_("Validation queue"), method="in_queue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes"))]),
    )

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "placed_at", "ship_uf", "payment", "queue"]

    def search(self, queryset, name, value):
        """A customer's name, or what has digits: the order's number, the marketplace's order
        id, the customer's CPF/CNPJ (its first digits). Each is matched through its own index
        (names through a trigram index on PostgreSQL), so a search of a million orders stays fast."""
        value = value.strip().lstrip("#")
        if not any(ch.isdigit() for ch in value):
            return queryset.filter(customer__in=Customer.objects.filter(name__icontains=value))
        match = Q(external_id=value)
        if value.isdigit() and int(value) < 2**31:
            match |= Q(number=int(value))
        document = "".join(ch for ch in value if ch.isalnum()).upper()
        if len(document) >= 3:
            customers = Customer.objects.filter(document__startswith=document)
            # Their ids written out, the three conditions are read from three indexes at once.
            ids = list(customers.order_by().values_list("pk", flat=True)[:DOCUMENT_MATCHES + 1])
            match |= Q(customer__in=customers if len(ids) > DOCUMENT_MATCHES else ids)
        return queryset.filter(match)

    def by_uf(self, queryset, name, value):
        return queryset.filter(ship_uf=value.upper())

    def by_payment(self, queryset, name, value):
        return {
            "unpaid": queryset.filter(paid_amount=0),
            "partial": queryset.filter(paid_amount__gt=0, paid_amount__lt=F("total")),
            "paid": queryset.filter(paid_amount__gte=F("total")),
        }[value]

    def in_queue(self, queryset, name, value):
        return queryset.filter(status=Status.PAID).exclude(validation_failures=[]) if value else queryset


class SurveyAnswerFilter(django_filters.FilterSet):
    answered_at = period_filter()
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, field_name="order__channel",
                                          empty_label=_("All"))

    class Meta:
        model = SurveyAnswer
        fields = ["answered_at", "channel"]
