"""Figures read from the rollups' facts, through the metrics of backoffice.metrics: one query for each
way of summing the needs (over the period, to date, on its last day), whatever the rollups read and
the period's length."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from backoffice.metrics import METRICS, PERIOD_DAYS, Metric
from backoffice.money import cents

from .models import DayFact, HourFact
from .rollups import ALL

ZERO = Decimal(0)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def _column(rollup, dimension: str) -> str:
    for index, each in enumerate(rollup.dimensions, start=1):
        if each.name == dimension:
            return f"d{index}"
    raise ValueError(f"{rollup.name} has no dimension {dimension!r}")


def _rows_of(rollup, names: list[str], where: dict, grouped: str | None) -> Q:
    """The facts of the rollup's measures `names` for the dimensions filtered (`where`) and the one
    grouped by: the totals over the others (analytics.rollups.ALL) when at most one dimension is read,
    the full rows otherwise."""
    read = {_column(rollup, name) for name in [*where, *([grouped] if grouped else [])]}
    condition = Q(rollup=rollup.name, measure__in=names)
    for index in range(1, len(rollup.dimensions) + 1):
        column = f"d{index}"
        if column in read or len(read) > 1:
            condition &= ~Q(**{column: ALL})
        else:
            condition &= Q(**{column: ALL})
    for name, value in where.items():
        condition &= Q(**{_column(rollup, name): value})
    return condition


def _sums(wanted: dict[str, list[str]], days: dict, *, where: dict, keys: tuple, until_hour: int | None) -> dict:
    """{rollup: {key: {measure: total}}} of each rollup's measures `wanted` over the facts of `days`
    (a filter on their day), in one query whatever the number of rollups."""
    if not wanted:
        return {}
    grouped = next((key for key in keys if key != "day"), None)
    rollups = {name: METRICS.rollups[name] for name in wanted}
    condition = Q()
    for name, names in wanted.items():
        condition |= _rows_of(rollups[name], names, where, grouped)
    facts = HourFact.objects.filter(hour__lte=until_hour) if until_hour is not None else DayFact.objects
    columns = ["rollup", "measure", *(["day"] if "day" in keys else []), *(["d1", "d2", "d3"] if grouped else [])]
    found: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    for row in facts.filter(condition, **days).values(*columns).annotate(total=Sum("value")).order_by():
        rollup = rollups[row["rollup"]]
        parts = [row["day"] if key == "day" else row[_column(rollup, key)] for key in keys]
        key = None if not parts else parts[0] if len(parts) == 1 else tuple(parts)
        # To the cent the facts keep (SQLite sums decimals as floats).
        found[row["rollup"]][key][row["measure"]] += cents(row["total"])
    return found


def _to_date(wanted, period: Period, *, where, keys: tuple) -> dict:
    """The sums from the first day to the period's end, or to each of its days (by day, then by one
    dimension at most): a balance."""
    if "day" not in keys:
        return _sums(wanted, {"day__lte": period.end}, where=where, keys=keys, until_hour=None)
    rest = keys[1:]
    if keys[0] != "day" or len(rest) > 1:
        raise ValueError(f"a balance is read by day, then by one dimension at most, not by {keys}")
    opening = _sums(wanted, {"day__lt": period.start}, where=where, keys=rest, until_hour=None)
    moves = _sums(wanted, {"day__gte": period.start, "day__lte": period.end}, where=where, keys=keys,
                  until_hour=None)
    found = defaultdict(dict)
    for name in wanted:
        starts, changes = opening.get(name, {}), moves.get(name, {})
        for value in (set(starts) | {key[1] for key in changes}) if rest else {None}:
            running = dict(starts.get(value, {}))
            for day in period.each_day():
                key = (day, value) if rest else day
                for measure, total in changes.get(key, {}).items():
                    running[measure] = running.get(measure, ZERO) + total
                found[name][key] = dict(running)
    return found


def measures(needs: tuple[str, ...], period: Period, *, where: dict | None = None, by: str | tuple | None = None,
             until_hour: int | None = None) -> dict:
    """{key: {need: value}} of the `needs` summed over `period`, for the rows whose dimensions are
    `where` ({dimension: value}). A need is "<rollup>:<measure>" (summed over the period), with
    "@to_date" (summed from the first day to the period's end: a balance, such as the stock) or
    "@last_day" (the period's last day only: a count the day takes, such as the SKUs out of stock),
    or PERIOD_DAYS. The key is None for the whole period; each day when `by` is "day"; each value of
    the dimension `by`; or, for a tuple such as ("day", "channel"), the tuple of both. `until_hour`:
    only the hours up to it (included), from the hourly facts (the last days only). One query for
    each way of summing the needs take, whatever the rollups."""
    keys = () if by is None else (by,) if isinstance(by, str) else tuple(by)
    where = where or {}
    scopes: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for need in needs:
        if need != PERIOD_DAYS:
            reference, _, scope = need.partition("@")
            rollup, _, measure = reference.partition(":")
            scopes[scope][rollup].append(measure)
    found: dict = defaultdict(dict)
    for scope, wanted in scopes.items():
        if scope == "to_date":
            sums = _to_date(wanted, period, where=where, keys=keys)
        else:
            first = period.end if scope == "last_day" and "day" not in keys else period.start
            sums = _sums(wanted, {"day__gte": first, "day__lte": period.end}, where=where, keys=keys,
                         until_hour=until_hour)
        suffix = f"@{scope}" if scope else ""
        for rollup, by_key in sums.items():
            for key, totals in by_key.items():
                found[key].update({f"{rollup}:{measure}{suffix}": total for measure, total in totals.items()})
    days = 1 if "day" in keys else period.days
    return {key: {need: days if need == PERIOD_DAYS else values.get(need, ZERO) for need in needs}
            for key, values in found.items()}


def value(metric: Metric, values: dict | None) -> Decimal | None:
    """`metric` computed from its needs' values (all zero when nothing was counted)."""
    return metric.value({need: (values or {}).get(need, ZERO) for need in metric.needs})


def figure(name: str, period: Period, *, where: dict | None = None, until_hour: int | None = None) -> Decimal | None:
    """The metric `name` over `period`."""
    metric = METRICS.metrics[name]
    return value(metric, measures(metric.needs, period, where=where, until_hour=until_hour).get(None))


def series(name: str, period: Period, *, by: str = "day",
           where: dict | None = None) -> list[tuple[object, Decimal | None]]:
    """The metric `name` for each day of `period` (every day, zero or unknown where nothing was
    counted), or for each value of the dimension `by` that was counted, largest first."""
    metric = METRICS.metrics[name]
    found = measures(metric.needs, period, where=where, by=by)
    if by == "day":
        return [(day, value(metric, found.get(day))) for day in period.each_day()]
    rows = [(key, value(metric, values)) for key, values in found.items()]
    return sorted(rows, key=lambda row: (row[1] is None, -(row[1] or 0), row[0]))
