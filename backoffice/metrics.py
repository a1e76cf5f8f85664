"""Metrics: each app declares, in `AppConfig.ready()`, the rollups of its own tables (what to count
and sum, by day and hour, along which dimensions) and the metrics computed from them, as it declares
its navigation, notices and periodic jobs. The analytics app keeps the rollups current and reads
every figure through this registry (dashboards, goals, exports, scheduled reports); it never
queries an app's tables on its own.

A rollup counts the rows of one model at one moment each::

    Rollup("orders.sales", model="orders.Order", moment="placed_at",
           dimensions=(Dimension("channel", _("Channel"), "channel"), Dimension("uf", _("UF"), "ship_uf")),
           measures={"orders": Count("pk"), "gmv": Sum("total", filter=~Q(status="cancelled"))},
           watches={"orders.Order": "pk"})

`moment` is the field (or path) a row counts at: a datetime, bucketed by São Paulo's day and hour,
or a date (a day-only rollup). It must not change once the row exists. `watches` names, for each
model whose changes move the figures, the path from the rollup's rows to it: a save of that model
(or a move of its state machine, which writes a timeline event) makes the days of the rows it
reaches stale; so does each of its `signals`, for rows written in bulk. A measure is a `Count` or a
`Sum` over the day's rows; a distinct count (sessions) adds up day by day.

A metric is a figure computed from measures summed over a period, for the whole store or one
value of a dimension::

    Metric("orders.aov", _("Average order value"), MONEY, needs=("orders.sales:gmv", "orders.sales:paid_orders"),
           value=ratio)
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Aggregate

# Units: how a figure is written.
COUNT, MONEY, PERCENT, SCORE, DAYS = "count", "money", "percent", "score", "days"
# A need any metric may have beside its measures: the number of days its figure covers.
PERIOD_DAYS = "period:days"


@dataclass(frozen=True)
class Dimension:
    name: str  # shared by the rollups that have it: "channel", "uf", "method"
    label: str  # translatable
    path: str  # the field, from the rollup's rows: "ship_uf", "order__channel"
    # How a value reads ("mercadolivre" → "Mercado Livre"); the value itself without one.
    labels: Callable[[str], str] | None = None

    def label_of(self, value: str) -> str:
        return str(self.labels(value)) if self.labels else value


@dataclass(frozen=True)
class Rollup:
    name: str  # "<app>.<what>"
    model: str  # the rows' model, "app_label.ModelName"
    moment: str
    measures: dict[str, Aggregate]
    watches: dict[str, str]  # model label → path from the rows to it ("pk" for the rows themselves)
    dimensions: tuple[Dimension, ...] = ()
    # The rows counted (a Q), all of the model's when None.
    rows: object = None
    day_only: bool = False  # `moment` is a date: no hours
    # What a writer in bulk (no post_save) sends instead: (signal, the days it touched from the
    # signal's keyword arguments).
    signals: tuple = ()
    # Figures of each row (subqueries on other tables) that the measures add up.
    annotations: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(self.dimensions) > MAX_DIMENSIONS:
            raise ValueError(f"{self.name}: at most {MAX_DIMENSIONS} dimensions")

    def dimension(self, name: str) -> Dimension | None:
        return next((each for each in self.dimensions if each.name == name), None)


MAX_DIMENSIONS = 3  # the fact tables' columns


def choice_labels(choices) -> Callable[[str], str]:
    """A dimension's `labels` from a field's choices (or the callable a field takes for them, read
    when a label is)."""
    def label(value: str) -> str:
        return dict(choices() if callable(choices) else choices).get(value, value)

    return label


def single(values: dict) -> Decimal | None:
    """The one measure a metric needs, as it is."""
    [value] = values.values()
    return value


def ratio(values: dict, *, scale: int = 1) -> Decimal | None:
    """The first measure over the second (times `scale`); unknown (None) over zero."""
    numerator, denominator = values.values()
    return None if not denominator else Decimal(numerator) * scale / Decimal(denominator)


def percent(values: dict) -> Decimal | None:
    return ratio(values, scale=100)


@dataclass(frozen=True)
class Metric:
    name: str  # "<app>.<what>"
    label: str  # translatable
    unit: str  # COUNT, MONEY, PERCENT, SCORE or DAYS
    # "<rollup>:<measure>" (summed over the period), "<rollup>:<measure>@to_date" (from the first day to the
    # period's end: a balance), "<rollup>:<measure>@last_day" (the period's last day's) or PERIOD_DAYS,
    # in the order `value` reads them.
    needs: tuple[str, ...]
    value: Callable[[dict], Decimal | None] = single
    higher_is_better: bool = True
    description: str = ""  # translatable: what it counts, for the dashboard's help

    @property
    def adds_up(self) -> bool:
        """Whether the metric over a period is the sum of its days (a count or an amount of one
        measure), rather than a share or an average."""
        return self.value is single and self.unit in (COUNT, MONEY)

    @property
    def rollups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(need.partition(":")[0] for need in self.needs if need != PERIOD_DAYS))


@dataclass
class Registry:
    rollups: dict[str, Rollup] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)

    def add(self, *entries: Rollup | Metric):
        for entry in entries:
            table = self.rollups if isinstance(entry, Rollup) else self.metrics
            if entry.name in table:
                raise ValueError(f"{entry.name} is registered twice")
            table[entry.name] = entry

    def dimension(self, name: str) -> Dimension:
        """The dimension `name`, as the first rollup that has it declares it."""
        return next(each for rollup in self.rollups.values() if (each := rollup.dimension(name)))

    def dimensions_of(self, metric: Metric) -> list[Dimension]:
        """The dimensions every rollup `metric` reads has: those it can be split or filtered by."""
        rollups = [self.rollups[name] for name in metric.rollups]
        return [each for each in rollups[0].dimensions if all(r.dimension(each.name) for r in rollups[1:])]


METRICS = Registry()


def register_metrics(*entries: Rollup | Metric):
    """Declare rollups and the metrics computed from them (in `AppConfig.ready()`)."""
    METRICS.add(*entries)
