"""The dashboards' period and filters (from the query string), and the goals' form."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.dates import month_before, period_bounds
from backoffice.forms import DateField, DecimalField, model_form_field
from backoffice.metrics import METRICS
from fiscal.models import UF_CHOICES
from orders.models import Channel

from .models import Goal
from .selectors import Period

PRESETS = [("today", _("Today")), ("7d", _("Last 7 days")), ("30d", _("Last 30 days")), ("month", _("This month")),
           ("last_month", _("Last month")), ("custom", _("Chosen days"))]
DEFAULT = "30d"
MAX_DAYS = 3 * 366  # a period longer than this is read from monthly figures, not day by day


def preset_period(preset: str) -> Period:
    today = timezone.localdate()
    if preset == "today":
        return Period(today, today)
    if preset in ("7d", "30d"):
        return Period(today - timedelta(days=int(preset[:-1]) - 1), today)
    if preset == "last_month":
        return Period(*period_bounds("month", month_before(today)))
    return Period(today.replace(day=1), today)


class DashboardForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("All"))] + list(Channel.choices), required=False)
    uf = forms.ChoiceField(label=_("UF"), choices=[("", _("All"))] + UF_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        preset = data.get("period") or DEFAULT
        if preset == "custom" or data.get("start") or data.get("end"):
            start, end = data.get("start"), data.get("end")
            if not (start and end):
                raise forms.ValidationError(_("Choose both the first and the last day."))
            if start > end:
                raise forms.ValidationError(_("The first day comes after the last one."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
            data["chosen"] = Period(start, end)
        else:
            data["chosen"] = preset_period(preset)
        return data

    def chosen(self) -> Period:
        """The period asked for; the default one when the form is not valid (its errors shown)."""
        return self.cleaned_data["chosen"] if self.is_valid() else preset_period(DEFAULT)

    def where(self) -> dict:
        """The dimensions filtered on ({"channel": "web"}), none when the form is not valid."""
        if not self.is_valid():
            return {}
        return {name: self.cleaned_data[name] for name in ("channel", "uf") if self.cleaned_data.get(name)}


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = day.replace(month=first_month, day=1)
    return start, period_bounds("month", start.replace(month=first_month + 2))[1]


def scope_choices() -> list:
    """The dimensions a goal can be limited to, grouped: each channel, each UF."""
    return [("", _("The whole store")), (_("Channel"), [(f"channel:{code}", label) for code, label in Channel.choices]),
            (_("UF"), [(f"uf:{uf}", uf) for uf, _label in UF_CHOICES])]


class GoalForm(forms.ModelForm):
    metric = forms.ChoiceField(label=_("Metric"))
    target = DecimalField(label=_("Target"), max_digits=16, decimal_places=2, min_value=0)
    day = DateField(label=_("A day of the month or quarter"), required=False,
                    help_text=_("The goal covers the whole month or quarter holding this day (today's by default)."))
    scope = forms.ChoiceField(label=_("Only for"), required=False)

    class Meta:
        model = Goal
        fields = ["metric", "direction", "target", "kind", "day", "start", "end", "scope", "name"]
        formfield_callback = model_form_field
        help_texts = {"start": _("For chosen days only."), "name": _("Optional: the metric and period by default.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = sorted(((m.name, m.label) for m in METRICS.metrics.values()),
                                               key=lambda choice: str(choice[1]))
        self.fields["scope"].choices = scope_choices()
        self.fields["start"].required = self.fields["end"].required = False
        self.fields["target"].widget.attrs["autofocus"] = True
        if self.instance.pk and self.instance.dimension:
            self.initial["scope"] = f"{self.instance.dimension}:{self.instance.dimension_value}"

    def clean(self):
        data = super().clean()
        kind, metric = data.get("kind"), METRICS.metrics.get(data.get("metric"))
        if kind == Goal.Kind.CUSTOM:
            if not (data.get("start") and data.get("end")):
                self.add_error("start", _("Choose the first and the last day."))
            elif data["start"] > data["end"]:
                self.add_error("end", _("The last day comes before the first one."))
        elif kind:
            day = data.get("day") or timezone.localdate()
            data["start"], data["end"] = (period_bounds("month", day) if kind == Goal.Kind.MONTH
                                          else quarter_bounds(day))
        dimension, _sep, scope_value = (data.get("scope") or "").partition(":")
        if dimension and metric and dimension not in {each.name for each in METRICS.dimensions_of(metric)}:
            self.add_error("scope", _("“%(metric)s” is not counted by “%(dimension)s”.")
                           % {"metric": metric.label, "dimension": METRICS.dimension(dimension).label})
        data["dimension"], data["dimension_value"] = dimension, scope_value
        return data

    def save(self, commit=True):
        goal = super().save(commit=False)
        goal.start, goal.end = self.cleaned_data["start"], self.cleaned_data["end"]
        goal.dimension, goal.dimension_value = self.cleaned_data["dimension"], self.cleaned_data["dimension_value"]
        if commit:
            goal.save()
        return goal
