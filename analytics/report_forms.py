"""The scheduled report's form: what it sends (the dashboards' figures or a list's address, checked
against the back office), when, and to whom."""

import re

from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import reports
from .forms import DEFAULT, DashboardForm
from .models import ScheduledReport

SEPARATORS = re.compile(r"[,;\r\n]+")
NAMED = re.compile(r"^[^<>]*<([^<>]+)>$")  # Maria Souza <maria@loja.com.br>, as mail programs copy it
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
DAYS = [(day, str(day)) for day in range(1, 29)]
# A dashboards' period the reports have no equal of, and the report's nearest one.
NEAREST_PRESET = {"today": ScheduledReport.Preset.YESTERDAY}


def recipients(text: str) -> list[str]:
    """The e-mail addresses in `text` (separated by commas, semicolons or lines), their domains in
    lower case, each once; ValidationError naming those that are not addresses, or when there are
    more than reports.MAX_RECIPIENTS."""
    found, wrong = [], []
    for piece in SEPARATORS.split(text):
        piece = piece.strip()
        if not piece:
            continue
        named = NAMED.match(piece)
        address = (named.group(1) if named else piece).strip()
        try:
            validate_email(address)
        except ValidationError:
            wrong.append(piece)
            continue
        address = BaseUserManager.normalize_email(address)
        if address.casefold() not in {each.casefold() for each in found}:
            found.append(address)
    if wrong:
        raise ValidationError(ngettext("“%(addresses)s” is not an e-mail address.",
                                       "These are not e-mail addresses: %(addresses)s.", len(wrong))
                              % {"addresses": ", ".join(wrong)})
    if len(found) > reports.MAX_RECIPIENTS:
        raise ValidationError(_("At most %(most)d addresses: %(count)d were given.")
                              % {"most": reports.MAX_RECIPIENTS, "count": len(found)})
    return found


class RecipientsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return recipients(super().to_python(value))


def initial_from(query) -> dict:
    """What a new report starts with from the page that links to the form: the dashboards' period
    and filters (their query), or a list's address."""
    initial = {name: query[name] for name in ("kind", "name", "address", "channel", "uf") if query.get(name)}
    if initial.get("kind") == ScheduledReport.Kind.DASHBOARD:
        period = query.get("period") or DEFAULT
        period = NEAREST_PRESET.get(period, period)
        initial["period"] = period if period in ScheduledReport.Preset.values else DEFAULT
    return initial


class ScheduledReportForm(forms.ModelForm):
    address = forms.CharField(
        label=_("List address"), max_length=1000, required=False,
        help_text=_("Open the list, filter it as you want it, and paste its address here "
                    "(as /orders/?status=delivered&channel=web): the report is its “XLSX” button's spreadsheet."))
    channel = forms.ChoiceField(label=_("Channel"), choices=DashboardForm.base_fields["channel"].choices,
                                required=False)
    uf = forms.ChoiceField(label=_("UF"), choices=DashboardForm.base_fields["uf"].choices, required=False)
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=list(WEEKDAYS.items()), coerce=int,
                                     help_text=_("For a weekly report."))
    day = forms.TypedChoiceField(label=_("Day of the month"), choices=DAYS, coerce=int,
                                 help_text=_("For a monthly report: 1 to 28, a day every month has."))
    hour = forms.TypedChoiceField(label=_("Hour"), choices=HOURS, coerce=int, help_text=_("São Paulo time."))
    recipients = RecipientsField(label=_("Send to"))

    class Meta:
        model = ScheduledReport
        fields = ["name", "kind", "address", "period", "channel", "uf", "frequency", "weekday", "day", "hour",
                  "recipients", "active"]
        labels = {"kind": _("What it sends"), "period": _("Period of the figures"), "frequency": _("How often"),
                  "active": _("Active")}
        help_texts = {"period": _("Whole days before the day it is sent."),
                      "active": _("An inactive report keeps its schedule and is not sent.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user  # who saves it: the list is checked with their permissions
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["recipients"].help_text = gettext(
            "Up to %(most)d e-mail addresses, separated by commas, semicolons or lines.") % {
            "most": reports.MAX_RECIPIENTS}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ScheduledReport.Kind.LIST:
            data["channel"] = data["uf"] = ""
            if data.get("address"):
                try:
                    data["address"] = reports.list_checked(data["address"], self.user)
                except reports.ReportRefused as refused:
                    self.add_error("address", str(refused))
            elif "address" not in self.errors:
                self.add_error("address", _("Give the address of the list to send."))
        elif kind == ScheduledReport.Kind.DASHBOARD:
            data["address"] = ""
            if not self.user.has_perm(reports.DASHBOARD_PERMISSION):
                self.add_error("kind", _("You may not open the dashboards."))
        return data
