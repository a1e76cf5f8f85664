"""Filters used by every template: money, dates in São Paulo time, CPF/CNPJ and phone numbers."""

import copy
from datetime import datetime

from django import forms, template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice import badges
from backoffice.jobs import PERIODIC_JOBS
from backoffice.models import SavedFilter
from backoffice.money import format_money
from backoffice.text import format_cep, format_document, format_phone

register = template.Library()
register.filter("money", format_money)
register.filter("document", format_document)  # 123.456.789-09, 12.345.678/0001-95
register.filter("phone", format_phone)  # (11) 98765-4321, (11) 3456-7890
register.filter("cep", format_cep)  # 01001-000


@register.filter
def dt(value, fmt=None):
    """A datetime in the current time zone (America/Sao_Paulo by default), or a date."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return formats.date_format(value, fmt or "SHORT_DATE_FORMAT")
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, fmt or "SHORT_DATETIME_FORMAT")


@register.filter
def bootstrap(field, size=""):
    """Render a form field's widget with Bootstrap's class (and `is-invalid` after an error)."""
    widget = field.field.widget
    kind = getattr(widget, "input_type", None)
    css = {"select": "form-select", "checkbox": "form-check-input",
           "radio": "form-check-input"}.get(kind, "form-control")
    if size and css != "form-check-input":
        css += f" {css}-{size}"
    if field.errors:
        css += " is-invalid"
    if isinstance(widget, forms.MultiWidget):
        # A from–to range has no one input its <label> could name: each end gets a name of its own.
        widget = copy.deepcopy(widget)
        for end, name in zip(widget.widgets, (_("%(field)s: from"), _("%(field)s: to"))):
            end.attrs["aria-label"] = name % {"field": field.label}
    return field.as_widget(widget=widget, attrs={"class": css})


@register.simple_tag
def badge(label, code="", tone=""):
    """`{% badge label code %}`: a status badge in the tone of its code (backoffice.badges)."""
    return badges.badge(label, code, tone_name=tone)


@register.filter
def schedule(job):
    """A periodic task's schedule in words (django-celery-beat has no pt-BR strings)."""
    if job.interval:
        every, period = job.interval.every, job.interval.period
        phrases = {
            "seconds": ngettext("every %(n)d second", "every %(n)d seconds", every),
            "minutes": ngettext("every %(n)d minute", "every %(n)d minutes", every),
            "hours": ngettext("every %(n)d hour", "every %(n)d hours", every),
            "days": ngettext("every %(n)d day", "every %(n)d days", every),
        }
        return phrases.get(period, f"{every} {period}") % {"n": every}
    if job.crontab:
        c = job.crontab
        expression = f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
        return _("cron “%(expression)s” (%(timezone)s)") % {"expression": expression, "timezone": c.timezone}
    if job.clocked:
        return _("once, at %(when)s") % {"when": dt(job.clocked.clocked_time)}
    return str(job.solar or "")


@register.filter
def job_description(job):
    """A registered job's description in the user's language; the stored one for others."""
    registered = PERIODIC_JOBS.get(job.name)
    return registered.description if registered and registered.task == job.task else job.description


@register.simple_tag(takes_context=True)
def saved_filters(context):
    """The current user's saved filters of the list screen being shown."""
    request = context["request"]
    return SavedFilter.objects.filter(user=request.user, path=request.path)
