"""The logistics lists' filters: the orders to pick, the parcels, the carriers, boxes and freight tables,
the returns and the carriers' notifications."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from backoffice.filters import BoundedDateFromToRangeFilter, period_filter, yes_no_filter
from backoffice.search import text_search
from orders.filters import OrderFilter
from orders.models import Channel, Order

from .carrier_forms import CepField
from .models import Box, Carrier, CarrierNotification, CarrierService, ReturnRequest, Shipment, TrackingStatus
from .services import PACKABLE

# Shorter than this, a tracking code is matched whole rather than by its beginning, and a name not at
# all (as the order list does: a trigram index finds nothing in one or two letters).
PREFIX_FROM = 3
MAX_NUMBER = 2**31  # an order number beyond an integer column's range matches nothing


class PickingFilter(django_filters.FilterSet):
    """The orders to pick, searched as the order list searches them (number, customer, SKU)."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=[(status.value, status.label)
                                                                     for status in PACKABLE], empty_label=_("All"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All"))
    placed_at = period_filter()
    ship_uf = django_filters.CharFilter(label=_("UF"), method="by_uf", max_length=2)

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "placed_at", "ship_uf"]

    search = OrderFilter.search
    by_uf = OrderFilter.by_uf


class ShipmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Shipment.Status.choices, empty_label=_("All"))
    carrier = django_filters.ModelChoiceFilter(label=_("Carrier"), field_name="service__carrier",
                                               queryset=Carrier.objects.all(), empty_label=_("All"))
    tracking_status = django_filters.ChoiceFilter(label=_("Tracking"), choices=TrackingStatus.choices,
                                                  empty_label=_("All"))
    promised_on = BoundedDateFromToRangeFilter(label=_("Promised for"))

    class Meta:
        model = Shipment
        fields = ["q", "status", "carrier", "tracking_status", "promised_on"]

    def search(self, queryset, name, value):
        """What staff type: a tracking code (spaced or not, or its beginning), the order's number
        (#2001), or the customer's or the recipient's name (accents and case ignored)."""
        value = value.strip()
        code = "".join(value.split()).upper()
        match = Q(tracking_code__startswith=code) if len(code) >= PREFIX_FROM else Q(tracking_code=code)
        number = value.lstrip("#")
        if number.isdecimal() and int(number) < MAX_NUMBER:  # isdigit() passes "²", which int() refuses
            match |= Q(order__number=int(number))
        if len(value) >= PREFIX_FROM:
            match |= text_search(value, "order__customer__name", "order__ship_recipient")
        return queryset.filter(match)


class CarrierFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=capfirst(_("kind")), choices=Carrier.Kind.choices, empty_label=_("All"))
    active = yes_no_filter(_("Active"))

    class Meta:
        model = Carrier
        fields = ["q", "kind", "active"]

    def search(self, queryset, name, value):
        """The carrier's name or code, or one of its services' (accents and case ignored)."""
        services = CarrierService.objects.filter(text_search(value, "name", "code")).values("carrier")
        return queryset.filter(text_search(value, "name", "code") | Q(pk__in=services))


class BoxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    active = yes_no_filter(_("Active"))

    class Meta:
        model = Box
        fields = ["q", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(text_search(value, "name"))


class CepFilter(django_filters.CharFilter):
    field_class = CepField


class FreightRateFilter(django_filters.FilterSet):
    """A table's rows for one CEP (those whose range holds it)."""

    cep = CepFilter(label=_("CEP"), method="holding",
                    widget=forms.TextInput(attrs={"placeholder": "01310-100", "inputmode": "numeric"}))

    def holding(self, queryset, name, value):
        return queryset.filter(cep_start__lte=value, cep_end__gte=value)


class ReturnFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReturnRequest.Status.choices,
                                         empty_label=_("All"))
    reason = django_filters.ChoiceFilter(label=_("Reason"), choices=ReturnRequest.Reason.choices,
                                         empty_label=_("All"))
    created_at = period_filter()

    class Meta:
        model = ReturnRequest
        fields = ["q", "status", "reason", "created_at"]

    def search(self, queryset, name, value):
        """What staff type: the order's number (#2001), the reverse-shipping code (spaced or not, or
        its beginning), or the customer's name (accents and case ignored), as the parcels list does."""
        value = value.strip()
        code = "".join(value.split()).upper()
        match = Q(reverse_code__startswith=code) if len(code) >= PREFIX_FROM else Q(reverse_code=code)
        number = value.lstrip("#")
        if number.isdecimal() and int(number) < MAX_NUMBER:  # isdigit() passes "²", which int() refuses
            match |= Q(order__number=int(number))
        if len(value) >= PREFIX_FROM:
            match |= text_search(value, "order__customer__name")
        return queryset.filter(match)


class NotificationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CarrierNotification.Status.choices,
                                         empty_label=_("All"))
    carrier = django_filters.ModelChoiceFilter(label=_("Carrier"),
                                               queryset=Carrier.objects.exclude(provider=""),
                                               empty_label=_("All"))
    received_at = period_filter()

    class Meta:
        model = CarrierNotification
        fields = ["q", "status", "carrier", "received_at"]

    def search(self, queryset, name, value):
        """The carrier's id of the parcel (Melhor Envio's label id), as pasted."""
        return queryset.filter(resource_id="".join(value.split()))
