"""The dashboards page and each of its live partials (the tiles, every chart) for the usual periods,
read from the rollups, beside the anchor: the raw SQL of the same figures on the source tables — for
each rollup the page reads, its measures over the period (and the period before, for the tiles),
grouped and filtered as the page is, straight from the orders, payments, ledger … — run on one
connection in the same run. The bench store's rollups are rebuilt from its rows the first time
(analytics_rebuild), and three goals set, as a manager would."""

import time
from datetime import timedelta
from decimal import Decimal

from bench.core import Measure, Result, browse, scenario

BUDGET_MS = 150
BUDGET_RATIO = 3  # of the raw SQL of the same figures on the source tables
PERIODS = ["period=today", "period=7d", "period=30d", "period=last_month", "period=30d&channel=mercadolivre"]


def prepare(out=print) -> None:
    """The rollups of the whole history (once), and the goals of this month."""
    from django.utils import timezone

    from analytics.models import DayFact, Goal
    from analytics.rollups import rebuild, today

    if not DayFact.objects.filter(rollup="orders.sales").exists():
        began = time.perf_counter()
        days = rebuild(start=None, end=today())
        out(f"  rollups rebuilt: {days:,} rollup-days in {time.perf_counter() - began:.0f} s")
    start = timezone.localdate().replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    for metric, target, where in [("orders.gmv", Decimal("9000000"), {}), ("orders.sold", Decimal("30000"),
                                  {"dimension": "channel", "dimension_value": "web"}),
                                  ("orders.cancellation_rate", Decimal("5"), {})]:
        Goal.objects.get_or_create(metric=metric, start=start, end=end, kind="month", defaults={
            "target": target, "direction": "at_most" if metric.endswith("rate") else "at_least", **where})


def _where(query: str) -> dict:
    return {name: value for name, _, value in (part.partition("=") for part in query.split("&")) if name != "period"}


def _period(query: str):
    from analytics.forms import DashboardForm

    return DashboardForm(dict(part.partition("=")[::2] for part in query.split("&"))).chosen()


def source_sql(needs, period, where: dict, by: str | None) -> list[tuple[str, tuple]]:
    """The SQL (and its parameters) that computes `needs` straight from the source tables: for each
    rollup and way of summing, its measures over its rows of the period, filtered by `where` and
    grouped by `by` (a dimension, or the day)."""
    from django.db.models import F, Value
    from django.db.models.functions import TruncDate

    from analytics.rollups import SAO_PAULO, source_rows
    from backoffice.metrics import METRICS, PERIOD_DAYS

    wanted: dict[tuple, set] = {}
    for need in needs:
        if need != PERIOD_DAYS:
            reference, _, scope = need.partition("@")
            rollup, _, measure = reference.partition(":")
            wanted.setdefault((rollup, scope), set()).add(measure)
    statements = []
    for (name, scope), measures in wanted.items():
        rollup = METRICS.rollups[name]
        first = None if scope == "to_date" else period.end if scope == "last_day" else period.start
        rows = source_rows(rollup, first, period.end).filter(
            **{rollup.dimension(dimension).path: value for dimension, value in where.items()})
        if by == "day":
            group = F(rollup.moment) if rollup.day_only else TruncDate(rollup.moment, tzinfo=SAO_PAULO)
        else:
            group = F(rollup.dimension(by).path) if by else Value(1)
        aggregates = {f"m_{measure}": rollup.measures[measure] for measure in measures}
        statements.append(rows.annotate(bench_group=group).values("bench_group").annotate(**aggregates).order_by()
                          .query.sql_with_params())
    return statements


def figures_sql(path_query: str, *, tiles: bool, charts) -> list[tuple[str, tuple]]:
    """The source SQL of what a request computes: the tiles over the period and the period before,
    and each chart by its day or dimension (a chart comparing periods, the period before too)."""
    from analytics.dashboard import SECTIONS, available, filterable

    period, where = _period(path_query), _where(path_query)
    statements = []
    if tiles:
        needs = {need for _label, names in SECTIONS for metric in available(names) if filterable(metric, where)
                 for need in metric.needs}
        statements += source_sql(needs, period, where, None) + source_sql(needs, period.previous(), where, None)
    for chart in charts:
        needs = {need for metric in available(chart.metrics) for need in metric.needs}
        by = None if chart.by == "steps" else chart.by
        statements += source_sql(needs, period, where, by)
        if chart.compare:
            statements += source_sql(needs, period.previous(), where, by)
    return statements


def raw(statements: list[tuple[str, tuple]], rounds: int) -> list[float]:
    """Each round runs every statement and reads its rows, on one connection: each round's latency."""
    from django.db import connection

    samples = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            started = time.perf_counter()
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()
            samples.append(time.perf_counter() - started)
    return samples


@scenario("dashboard")
def dashboard(bench):
    from django.db import connection

    from analytics.dashboard import CHARTS, charts

    prepare()
    requests = {"dashboard page": [(f"/analytics/?{query}", figures_sql(query, tiles=True, charts=charts(
        _where(query)))) for query in PERIODS],
        "dashboard tiles": [(f"/analytics/tiles/?{query}", figures_sql(query, tiles=True, charts=[]))
                            for query in PERIODS]}
    for chart in CHARTS:
        # Those the filter leaves a chart for (no chart by channel for one channel, no website's by channel).
        requests[f"dashboard chart: {chart.name}"] = [
            (f"/analytics/charts/{chart.name}/?{query}", figures_sql(query, tiles=False, charts=[chart]))
            for query in PERIODS if chart in charts(_where(query))]
    rounds = max(1, bench.requests // 40)
    browse(bench.url, bench.cookie, [path for each in requests.values() for path, _sql in each], "warm-up")
    results = []
    for name, each in requests.items():
        measure = browse(bench.url, bench.cookie, [path for _ in range(rounds) for path, _sql in each], each[0][0])
        anchor = Measure("the same figures' SQL on the source tables",
                         [seconds for _path, sql in each for seconds in raw(sql, rounds)])
        anchor.per_second = len(anchor.samples) / sum(anchor.samples)
        p95, anchor_p95 = (each.summary().get("p95_ms", float("inf")) for each in (measure, anchor))
        results.append(Result(name, measure, anchor, budget=f"p95 ≤ {BUDGET_MS} ms, ≤ {BUDGET_RATIO}× anchor",
                              met=not measure.errors and p95 <= BUDGET_MS and p95 <= BUDGET_RATIO * anchor_p95,
                              notes=[f"{len(each)} periods and filters, each asked {rounds}×"]))
    connection.close()
    return results
