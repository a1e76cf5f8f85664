"""Filters of the platform's list screens."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent
from .params import BoundedDateField, validate_date_in_range
from .search import text_search


class BoundedDateRangeField(django_filters.fields.DateRangeField):
    """A from–to range whose ends are each a date from 2000 to 2100."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.validators.append(validate_date_in_range)


class BoundedDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = BoundedDateRangeField


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


def period_filter(**kwargs):
    """A from–to date range with the browser's date pickers, each end from 2000 to 2100."""
    return BoundedDateFromToRangeFilter(
        label=_("Period"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}), **kwargs
    )


def day_filter(**kwargs):
    """One day with the browser's date picker, from 2000 to 2100."""
    return BoundedDateFilter(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def yes_no_filter(label, **kwargs):
    """A yes/no filter offered as All / Yes / No."""
    return django_filters.BooleanFilter(
        label=label, widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]), **kwargs
    )


class AuditEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    # A prefix ("product." for every product action) matches through the index.
    action = django_filters.CharFilter(label=_("Action"), lookup_expr="startswith")
    actor = django_filters.ModelChoiceFilter(
        label=_("User"), queryset=get_user_model().objects.order_by("username"), empty_label=_("All")
    )
    created_at = period_filter()

    class Meta:
        model = AuditEvent
        fields = ["q", "action", "actor", "created_at"]

    def search(self, queryset, name, value):
        return queryset.filter(text_search(value, "action", "object_repr", "note", "actor__username"))
