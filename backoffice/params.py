"""Dates read from a query string or a filter, bounded to the years a store's records can
have: far beyond them date arithmetic overflows and the database refuses the value."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def validate_date_in_range(value: date):
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(gettext_lazy("Enter a date between %(first)d and %(last)d."), code="out_of_range",
                              params={"first": EARLIEST.year, "last": LATEST.year})


class BoundedDateField(forms.DateField):
    """A date from EARLIEST to LATEST."""

    default_validators = [validate_date_in_range]


def _query_value(request, name: str, field: forms.Field, default: date) -> date:
    """The parameter cleaned by `field`; when absent, `default`; when not a date in range,
    `default` too, and the user is told the period shown is not the one asked for."""
    try:
        return field.clean(request.GET.get(name, "")) or default
    except ValidationError:
        messages.warning(request, _("The date asked for is not valid or not between %(first)d and %(last)d: "
                                    "showing the current period.") % {"first": EARLIEST.year, "last": LATEST.year})
        return default


def query_date(request, name: str) -> date:
    """The day `?name=YYYY-MM-DD` names, or today."""
    return _query_value(request, name, BoundedDateField(required=False), timezone.localdate())


def query_month(request, name: str) -> date:
    """The first day of the month `?name=YYYY-MM` names, or of this month."""
    return _query_value(request, name, BoundedDateField(required=False, input_formats=["%Y-%m"]),
                        timezone.localdate().replace(day=1))


def query_text(request, name: str) -> str:
    """The text of `?name=`, trimmed and without NUL characters: no one types one, and
    PostgreSQL cannot compare a text holding one."""
    return request.GET.get(name, "").replace("\x00", "").strip()


MAX_ID = 2**63 - 1  # the largest primary key a BIGINT holds


def ticked_ids(values: list[str], *, limit: int) -> list[int]:
    """The row ids a list's ticked boxes sent (`request.POST.getlist("ids")`), at most `limit` of
    them: what is not a number a key can be is dropped (a huge one would overflow the database)."""
    return [int(value) for value in values[:limit] if value.isdecimal() and int(value) <= MAX_ID]
