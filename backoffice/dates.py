"""Dates in one place: the periods the screens show (a day, a week from Monday, a month) and
the months around one. Days are São Paulo's (settings.TIME_ZONE): take today from
`timezone.localdate()`."""

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy

PERIODS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month")}


def period_bounds(kind: str, anchor: date) -> tuple[date, date]:
    """The first and last day of the day/week (Monday–Sunday)/month holding `anchor`."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    return anchor.replace(day=1), anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])


def month_before(day: date) -> date:
    """The first day of the month before `day`'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_after(day: date) -> date:
    """The first day of the month after `day`'s."""
    return period_bounds("month", day)[1] + timedelta(days=1)


def day_span(first: date, last: date) -> tuple[datetime, datetime]:
    """From the first second of `first` to the last of `last`, São Paulo's days (aware datetimes):
    what a provider is asked for when staff ask for those days."""
    zone = timezone.get_current_timezone()
    return datetime.combine(first, time.min, zone), datetime.combine(last, time(23, 59, 59), zone)
