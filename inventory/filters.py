"""Filters of the inventory list screens."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import period_filter, yes_no_filter
from backoffice.search import text_search

from .models import Movement, Product, ReorderAlert, Warehouse


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    active = yes_no_filter(_("Active"))
    low = yes_no_filter(_("Low stock"))
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=Warehouse.objects.all(), method="in_warehouse", empty_label=_("All")
    )

    class Meta:
        model = Product
        fields = ["q", "active", "low", "warehouse"]

    def search(self, queryset, name, value):
        return queryset.filter(text_search(value, "sku", "name") | Q(gtin=value) | Q(ncm=value))

    def in_warehouse(self, queryset, name, value):
        # The totals themselves are narrowed by the view (selectors.products(warehouse=...)).
        return queryset.filter(levels__warehouse=value)


class MovementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Movement.Kind.choices, empty_label=_("All"))
    warehouse = django_filters.ModelChoiceFilter(label=_("Warehouse"), queryset=Warehouse.objects.all(),
                                                 empty_label=_("All"))
    created_at = period_filter()

    class Meta:
        model = Movement
        fields = ["q", "kind", "warehouse", "created_at"]

    def search(self, queryset, name, value):
        return queryset.filter(text_search(value, "product__sku", "product__name", "reference", "supplier", "reason"))


class ReorderAlertFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    day = period_filter()

    class Meta:
        model = ReorderAlert
        fields = ["q", "day"]

    def search(self, queryset, name, value):
        return queryset.filter(text_search(value, "product__sku", "product__name"))
