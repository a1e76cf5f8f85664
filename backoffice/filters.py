"""Filters of the platform's list screens."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask

from .audit import action_choices
from .forms import AmountField, DateField, DateInput, DecimalInput
from .models import AuditEvent
from .money import DECIMAL_PLACES
from .search import folded, text_search


class DateRangeWidget(django_filters.widgets.DateRangeWidget):
    """From and to, each with the browser's date picker (backoffice.forms.DateInput: ISO values)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets = [DateInput() for _widget in self.widgets]


class BoundedDateRangeField(django_filters.fields.DateRangeField):
    """A from–to range whose ends are each a backoffice.forms.DateField (from 2000 to 2100)."""

    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        # DateRangeField's own __init__ would give both ends Django's unbounded DateField.
        django_filters.fields.RangeField.__init__(self, (DateField(), DateField()), *args, **kwargs)


class BoundedDateFromToRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = BoundedDateRangeField


class BoundedDateFilter(django_filters.DateFilter):
    field_class = DateField


class AmountRangeWidget(django_filters.widgets.RangeWidget):
    """From and to, each an amount typed as text in the reader's format (backoffice.forms.DecimalInput)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets = [DecimalInput(places=DECIMAL_PLACES) for _widget in self.widgets]


class AmountRangeField(django_filters.fields.RangeField):
    """A from–to range whose ends are each a backoffice.forms.AmountField ("1.234,56", "R$ 10")."""

    widget = AmountRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((AmountField(), AmountField()), *args, **kwargs)

    def compress(self, data_list):
        # Both ends blank (spaces read as nothing): no range, which the filter takes as no filter.
        return super().compress(data_list) if any(end is not None for end in data_list) else None


class AmountRangeFilter(django_filters.RangeFilter):
    field_class = AmountRangeField


def amount_filter(label, **kwargs):
    """A from–to range of amounts of money, typed as Brazilians write them."""
    return AmountRangeFilter(label=label, **kwargs)


def period_filter(**kwargs):
    """A from–to date range with the browser's date pickers, each end from 2000 to 2100."""
    return BoundedDateFromToRangeFilter(label=_("Period"), **kwargs)


def day_filter(**kwargs):
    """One day with the browser's date picker, from 2000 to 2100."""
    return BoundedDateFilter(**kwargs)


def yes_no_filter(label, **kwargs):
    """A yes/no filter offered as All / Yes / No."""
    return django_filters.BooleanFilter(
        label=label, widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]), **kwargs
    )


class JobFilter(django_filters.FilterSet):
    """The jobs by the outcome of their last run (the jobs page's selectors.jobs_list annotates it)."""

    last_status = django_filters.ChoiceFilter(
        label=_("Outcome"), empty_label=_("All"),
        choices=[("SUCCESS", _("success")), ("FAILURE", _("failure")), ("PENDING", _("queued")),
                 ("STARTED", _("running"))],
    )

    class Meta:
        model = PeriodicTask
        fields = ["last_status"]


class AuditEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=action_choices, empty_label=_("All"))
    actor = django_filters.ModelChoiceFilter(
        label=_("User"), queryset=get_user_model().objects.order_by("username"), empty_label=_("All")
    )
    created_at = period_filter()

    class Meta:
        model = AuditEvent
        fields = ["q", "action", "actor", "created_at"]

    def search(self, queryset, name, value):
        # An action is found by its label in the reader's language, or by its code.
        labelled = [code for code, label in action_choices() if folded(value) in folded(str(label))]
        return queryset.filter(text_search(value, "action", "object_repr", "note", "actor__username")
                               | Q(action__in=labelled))
