"""Goals (metas): how far each one is, where it ends at the current pace, and whether it is on
track.

The pace of a metric that adds up day by day (a count, an amount) is what it reached so far plus, for
each day left, what the same weekday brought on average over the last PACE_WEEKS weeks: a store that
sells twice as much on Mondays is not "at risk" on a Sunday. A share or an average (a rate, the NPS,
the average order value) ends where it stands."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import METRICS, PERIOD_DAYS, Metric

from .dashboard import format_figure
from .models import Goal
from .selectors import ZERO, Period, measures, value

PACE_WEEKS = 4

UPCOMING, ON_TRACK, AT_RISK, MET, MISSED = "upcoming", "on_track", "at_risk", "met", "missed"
STATUSES = {UPCOMING: _("not started"), ON_TRACK: _("on track"), AT_RISK: _("at risk"), MET: _("met"),
            MISSED: _("missed")}
TONES = {UPCOMING: "secondary", ON_TRACK: "success", AT_RISK: "warning", MET: "success", MISSED: "danger"}


@dataclass(frozen=True)
class Progress:
    goal: Goal
    metric: Metric
    actual: Decimal | None  # from the goal's first day to today (or its last day)
    projected: Decimal | None  # where it ends at the current pace
    status: str

    @property
    def share(self) -> Decimal | None:
        """The actual figure as a share of the target, in per cent (for a bar)."""
        if self.actual is None or not self.goal.target:
            return None
        return self.actual * 100 / self.goal.target

    @property
    def actual_shown(self) -> str:
        return format_figure(self.metric, self.actual)

    @property
    def projected_shown(self) -> str:
        return format_figure(self.metric, self.projected)

    @property
    def target_shown(self) -> str:
        return format_figure(self.metric, self.goal.target)

    @property
    def bar(self) -> int:
        return int(min(max(self.share or 0, 0), 100))

    @property
    def status_label(self) -> str:
        return str(STATUSES[self.status])

    @property
    def tone(self) -> str:
        return TONES[self.status]


def _meets(goal: Goal, figure: Decimal | None) -> bool:
    if figure is None:
        return False
    return figure >= goal.target if goal.direction == Goal.Direction.AT_LEAST else figure <= goal.target


def _status(goal: Goal, actual, projected, today: date) -> str:
    if today < goal.start:
        return UPCOMING
    if today > goal.end:
        return MET if _meets(goal, actual) else MISSED
    if goal.direction == Goal.Direction.AT_MOST and actual is not None and METRICS.metrics[goal.metric].adds_up \
            and actual > goal.target:
        return MISSED  # already past what it may reach, and it only grows
    return ON_TRACK if _meets(goal, projected) else AT_RISK


def _pace(metric: Metric, days: dict, goal: Goal, today: date, actual: Decimal) -> Decimal:
    """What `actual` becomes by the goal's last day at the weekdays' recent pace."""
    by_weekday = defaultdict(list)
    for offset in range(1, PACE_WEEKS * 7 + 1):
        day = today - timedelta(days=offset)
        by_weekday[day.weekday()].append(value(metric, days.get(day)) or ZERO)
    usual = {weekday: sum(figures, ZERO) / len(figures) for weekday, figures in by_weekday.items()}
    projected = actual
    day = today
    while day <= goal.end:
        expected = usual[day.weekday()]
        if day == today:  # today is under way: what it brought so far, or its usual when that is more
            expected = max(expected - (value(metric, days.get(today)) or ZERO), ZERO)
        projected += expected
        day += timedelta(days=1)
    return projected


def _over(metric: Metric, days: dict, start: date, last: date) -> dict:
    """The metric's needs from `start` to `last` out of its figures day by day: a sum over the days,
    a balance (or a last day's count) as it is on `last`."""
    within = [values for day, values in days.items() if start <= day <= last]
    closing = days.get(last, {})
    return {need: (last - start).days + 1 if need == PERIOD_DAYS
            else closing.get(need, ZERO) if "@" in need else sum((values[need] for values in within), ZERO)
            for need in metric.needs}


def progress(goals, *, today: date | None = None) -> list[Progress]:
    """Each goal's progress. The goals' figures are read per metric and dimension they share: the
    queries do not grow with the number of goals."""
    today = today or timezone.localdate()
    goals = [goal for goal in goals if goal.metric in METRICS.metrics]
    if not goals:
        return []
    span = Period(min(min(goal.start for goal in goals), today - timedelta(days=PACE_WEEKS * 7)),
                  max(min(goal.end, today) for goal in goals))
    read: dict[tuple, dict] = {}
    for goal in goals:
        key = (goal.metric, goal.dimension)
        if key not in read:
            metric = METRICS.metrics[goal.metric]
            by = ("day", goal.dimension) if goal.dimension else "day"
            read[key] = measures(metric.needs, span, by=by)
    found = []
    for goal in goals:
        metric = METRICS.metrics[goal.metric]
        rows = read[(goal.metric, goal.dimension)]
        days = ({day: values for (day, dimension), values in rows.items() if dimension == goal.dimension_value}
                if goal.dimension else rows)
        actual = projected = None
        if today >= goal.start:
            last = min(goal.end, today)
            actual = value(metric, _over(metric, days, goal.start, last))
            projected = _pace(metric, days, goal, today, actual) if metric.adds_up and today <= goal.end \
                and actual is not None else actual
        found.append(Progress(goal, metric, actual, projected, _status(goal, actual, projected, today)))
    return found


def current_goals(*, today: date | None = None):
    """The goals whose period holds today."""
    today = today or timezone.localdate()
    return Goal.objects.filter(start__lte=today, end__gte=today).order_by("end", "metric", "pk")
