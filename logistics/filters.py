"""Filters of the orders to pick and of the parcels list."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import BoundedDateFromToRangeFilter, period_filter
from backoffice.search import text_search
from orders.filters import OrderFilter
from orders.models import Channel, Order

from .models import Carrier, Shipment, TrackingStatus
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
