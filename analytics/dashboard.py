"""The dashboards page's tiles and charts: which metrics, and their figures for a period against the
one before, read through analytics.selectors (the rollups, never the source tables)."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.metrics import COUNT, METRICS, MONEY, PERCENT, Metric
from backoffice.money import cents, format_money, format_number

from .selectors import Period, measures, series, value

# The tiles by section, in the page's order; a metric not registered (its app not installed) is left out.
SECTIONS = (
    (gettext_lazy("Sales"), ("orders.gmv", "orders.sold", "orders.aov", "orders.units", "orders.new_customers",
                             "orders.returning_customers", "orders.cancellation_rate", "orders.nps")),
    (gettext_lazy("Margin"), ("analytics.net_margin", "analytics.net_margin_rate", "analytics.margin_unknown")),
    (gettext_lazy("Payments and cash"), ("payments.approved_amount", "payments.approval_rate", "payments.fees",
                                         "payments.refunded", "payments.cash_in", "payments.cash_out",
                                         "payments.cash_net")),
    (gettext_lazy("Website"), ("analytics.sessions", "analytics.views_per_session", "analytics.conversion")),
    (gettext_lazy("Stock"), ("inventory.stock_value", "inventory.units_on_hand", "inventory.days_of_cover",
                             "inventory.stockouts")),
    (gettext_lazy("NF-e"), ("fiscal.authorized", "fiscal.invoiced", "fiscal.rejected", "fiscal.cancelled",
                            "fiscal.taxes")),
    (gettext_lazy("Logistics"), ("logistics.shipped", "logistics.delivered", "logistics.on_time_rate",
                                 "logistics.days_to_deliver", "logistics.freight_result", "logistics.returns")),
)


def rounded(metric: Metric, figure: Decimal | None) -> Decimal | int | None:
    """A figure as it is written down: money to the cent, counts whole, shares and scores to a
    hundredth."""
    if figure is None:
        return None
    if metric.unit == MONEY:
        return cents(figure)
    if metric.unit == COUNT:
        return int(figure.to_integral_value())
    return round(figure, 2)


def format_figure(metric: Metric, figure: Decimal | None) -> str:
    """A figure as the reader writes it: R$ 1.234,56; 1.234; 12,5 %; unknown as a dash."""
    return format_in(metric.unit, figure)


def format_in(unit: str, figure: Decimal | None) -> str:
    if figure is None:
        return "—"
    if unit == MONEY:
        return format_money(figure)
    if unit == PERCENT:
        return f"{format_number(figure, 1)} %"
    return format_number(figure, 0 if unit == COUNT else 1)


@dataclass(frozen=True)
class Tile:
    metric: Metric
    figure: Decimal | None
    previous: Decimal | None

    @property
    def shown(self) -> str:
        return format_figure(self.metric, self.figure)

    @property
    def previous_shown(self) -> str:
        return format_figure(self.metric, self.previous)

    @property
    def change(self) -> Decimal | None:
        """How far from the previous period: in points for shares and scores, in per cent otherwise;
        unknown when either figure is, or when the previous one is zero."""
        if self.figure is None or self.previous is None:
            return None
        if self.metric.unit in (PERCENT, "score"):
            return self.figure - self.previous
        return None if not self.previous else (self.figure - self.previous) * 100 / abs(self.previous)

    @property
    def change_shown(self) -> str:
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else "−" if change < 0 else "±"
        points = self.metric.unit in (PERCENT, "score")
        return f"{sign}{format_number(abs(change), 1)}{' p.p.' if points else ' %'}"

    @property
    def tone(self) -> str:
        """success when it moved the good way, danger the bad way."""
        if not self.change:
            return "secondary"
        return "success" if (self.change > 0) == self.metric.higher_is_better else "danger"


def available(names) -> list[Metric]:
    return [METRICS.metrics[name] for name in names if name in METRICS.metrics]


def filterable(metric: Metric, where: dict) -> bool:
    """Whether `metric` can be read for the dimensions of `where` (the payments have no channel)."""
    dimensions = {each.name for each in METRICS.dimensions_of(metric)}
    return set(where) <= dimensions


def tiles(period: Period, where: dict) -> list[tuple[str, list[Tile]]]:
    """The tiles' figures over `period` and the period before, by section: one query per rollup (and
    way of summing it) and period, whatever the number of tiles."""
    sections = [(label, [metric for metric in available(names) if filterable(metric, where)])
                for label, names in SECTIONS]
    needs = tuple(dict.fromkeys(need for _label, shown in sections for metric in shown for need in metric.needs))
    now = measures(needs, period, where=where).get(None)
    before = measures(needs, period.previous(), where=where).get(None)
    return [(label, [Tile(metric, value(metric, now), value(metric, before)) for metric in shown])
            for label, shown in sections if shown]


STEPS = "steps"  # a chart whose bars are its metrics over the period (a funnel), not a metric by day or value


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    kind: str  # Chart.js's: line, bar
    metrics: tuple[str, ...]
    by: str = "day"  # "day", or a dimension
    compare: bool = False  # the previous period beside, day by day
    horizontal: bool = False
    description: str = ""


CHARTS = (
    Chart("sales", gettext_lazy("Sales by day"), "line", ("orders.gmv",), compare=True),
    Chart("channels", gettext_lazy("Sales by channel"), "bar", ("orders.gmv",), by="channel", horizontal=True),
    Chart("ufs", gettext_lazy("Sales by UF"), "bar", ("orders.gmv",), by="uf", horizontal=True),
    Chart("margin", gettext_lazy("Net margin by channel"), "bar", ("analytics.net_margin",), by="channel",
          horizontal=True),
    Chart("methods", gettext_lazy("Payments approved by method"), "bar", ("payments.approved_amount",),
          by="method", horizontal=True),
    Chart("cash", gettext_lazy("Cash flow in and out"), "bar", ("payments.cash_in", "payments.cash_out")),
    Chart("funnel", gettext_lazy("The website's funnel"), "bar",
          ("analytics.sessions", "analytics.product_sessions", "analytics.cart_sessions",
           "analytics.checkout_sessions", "orders.web_orders"), by=STEPS),
    Chart("stock", gettext_lazy("Stock value at cost"), "line", ("inventory.stock_value",)),
    Chart("delivery", gettext_lazy("Days to deliver by carrier"), "bar", ("logistics.days_to_deliver",),
          by="carrier", horizontal=True),
    Chart("returns", gettext_lazy("Returns by reason"), "bar", ("logistics.returns",), by="reason", horizontal=True),
)


def chart_by_name(name: str) -> Chart | None:
    return next((chart for chart in CHARTS if chart.name == name), None)


def charts(where: dict) -> list[Chart]:
    """The charts whose metrics are registered and readable for `where`."""
    return [chart for chart in CHARTS if len(available(chart.metrics)) == len(chart.metrics)
            and all(filterable(metric, where) for metric in available(chart.metrics))
            and chart.by not in where]


def _label(key, by: str) -> str:
    if by == STEPS:
        return str(key)
    return formats.date_format(key, "SHORT_DATE_FORMAT") if by == "day" else METRICS.dimension(by).label_of(key)


def chart_rows(chart: Chart, period: Period, where: dict) -> tuple[list[str], list[list]]:
    """The chart's table: its header (what the rows are, then each series) and one row per day or
    dimension value — what the chart draws and what its download holds."""
    metrics = available(chart.metrics)
    if chart.by == STEPS:
        needs = tuple(dict.fromkeys(need for metric in metrics for need in metric.needs))
        values = measures(needs, period, where=where).get(None)
        return [str(_("Step")), str(_("Period"))], [[metric.label, rounded(metric, value(metric, values))]
                                                    for metric in metrics]
    header = [str(_("Day") if chart.by == "day" else METRICS.dimension(chart.by).label)]
    columns = []
    for metric in metrics:
        header.append(str(metric.label))
        columns.append({key: rounded(metric, figure)
                        for key, figure in series(metric.name, period, by=chart.by, where=where)})
    if chart.compare:
        header.append(_("%(metric)s, period before") % {"metric": metrics[0].label})
        before = [rounded(metrics[0], figure) for _day, figure in series(metrics[0].name, period.previous(),
                                                                          where=where)]
    keys = list(columns[0]) if chart.by == "day" else list(dict.fromkeys(k for column in columns for k in column))
    rows = []
    for index, key in enumerate(keys):
        row = [key, *[column.get(key) for column in columns]]
        if chart.compare:
            row.append(before[index] if index < len(before) else None)
        rows.append(row)
    return header, rows


def goal_lines(chart: Chart, goals) -> dict:
    """Chart.js annotations: on a chart of a metric by day, each goal on it (analytics.goals.Progress)
    as the line of its target per day (a sum's target spread over its days; a share's as it is)."""
    lines = {}
    if chart.by != "day":
        return lines
    for row in goals:
        if row.goal.metric not in chart.metrics:
            continue
        metric, target = row.metric, row.goal.target
        if metric.adds_up:
            per_day = target / ((row.goal.end - row.goal.start).days + 1)
            label = _("Goal: %(figure)s a day") % {"figure": format_figure(metric, per_day)}
        else:
            per_day, label = target, _("Goal: %(figure)s") % {"figure": format_figure(metric, target)}
        lines[f"goal-{row.goal.pk}"] = {"type": "line", "yMin": float(per_day), "yMax": float(per_day),
                                        "borderDash": [4, 4], "label": {"display": True, "content": label}}
    return lines


def chart_data(chart: Chart, period: Period, where: dict, goals=()) -> dict:
    """What Chart.js is given (its type, labels, datasets and goal lines) and the unit its axis is
    written in."""
    header, rows = chart_rows(chart, period, where)
    metrics = available(chart.metrics)
    return {
        "annotations": goal_lines(chart, goals),
        "type": chart.kind,
        "horizontal": chart.horizontal,
        "unit": metrics[0].unit,
        "labels": [_label(row[0], chart.by) for row in rows],
        "datasets": [{"label": label, "data": [_number(row[index]) for row in rows],
                      "dashed": chart.compare and index == len(header) - 1}
                     for index, label in enumerate(header[1:], start=1)],
    }


def _number(figure: Decimal | None) -> float | None:
    """A figure for the chart to draw (the exact figure is in the download)."""
    return None if figure is None else float(figure)
