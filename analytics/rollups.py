"""Keeping the rollups of backoffice.metrics current, and rebuilding them.

A rollup's facts for a day are computed from that day's rows in one grouped query (and one more by
hour, for the last HOURLY_DAYS days), and replace what was stored for the day: recomputing a day is
idempotent, and the incremental way and the rebuild are the same computation.

Incrementally: a save of a model a rollup watches, or a move of its state machine (the timeline event
it writes), marks the days of the rows it reaches stale, in the transaction that changed them
(analytics.receivers); `analytics.tasks.refresh`, every REFRESH_SECONDS, recomputes the stale days
(a transaction queues nothing: a thousand orders a second do not queue a thousand runs). A mark is
a row of its own, inserted only, so the writers of a busy day never wait for each other; a
recomputation clears only the marks it read before it began, so a change committed meanwhile leaves
its day stale for the next run. On PostgreSQL, workers share the stale days out (an advisory lock a
day); SQLite runs one writer at a time."""

import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import connection, transaction
from django.db.models.functions import ExtractHour
from django.utils import timezone

from backoffice.metrics import MAX_DIMENSIONS, METRICS, Rollup

from .models import DayFact, HourFact, StaleDay

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
HOURLY_DAYS = 2  # today and yesterday, by hour
# How often the stale days are recomputed: with the dashboards polling every LIVE_SECONDS
# (analytics.views), a sale shows within their sum.
REFRESH_SECONDS = 10


def today() -> date:
    return timezone.now().astimezone(SAO_PAULO).date()


def day_of(moment: datetime | date) -> date:
    """The São Paulo day `moment` counts on."""
    return moment.astimezone(SAO_PAULO).date() if isinstance(moment, datetime) else moment


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=SAO_PAULO)
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=SAO_PAULO)


def _counted(rollup: Rollup):
    """The rows the rollup counts."""
    rows = apps.get_model(rollup.model)._default_manager.all()
    return rows if rollup.rows is None else rows.filter(rollup.rows)


def source_rows(rollup: Rollup, first: date | None, last: date):
    """The rollup's rows (their annotations made) whose moment falls from the day `first` (from the
    start when None) to the day `last`, both included, São Paulo's days."""
    rows = _counted(rollup)
    if rollup.annotations:
        rows = rows.annotate(**rollup.annotations)
    if rollup.day_only:
        rows = rows.filter(**{f"{rollup.moment}__lte": last})
        return rows.filter(**{f"{rollup.moment}__gte": first}) if first else rows
    rows = rows.filter(**{f"{rollup.moment}__lt": day_bounds(last)[1]})
    return rows.filter(**{f"{rollup.moment}__gte": day_bounds(first)[0]}) if first else rows


MEASURE = "m_"  # the measures' annotations, apart from the rows' own fields


def _grouped(rollup: Rollup, rows, *, by_hour: bool) -> dict[tuple, dict[str, Decimal]]:
    """{(hour or None, d1, d2, d3): {measure: value}} of `rows`."""
    annotations = {MEASURE + name: each for name, each in rollup.measures.items()}
    paths = [dimension.path for dimension in rollup.dimensions]
    if by_hour:
        rows = rows.annotate(m__hour=ExtractHour(rollup.moment, tzinfo=SAO_PAULO))
        paths = ["m__hour", *paths]
    # Grouped by the hour and the dimensions; a rollup without either is one aggregate (values() of
    # nothing would group by every column).
    found_rows = rows.values(*paths).annotate(**annotations).order_by() if paths else [rows.aggregate(**annotations)]
    found = {}
    for row in found_rows:
        hour = row.pop("m__hour", None)
        # A value that reads as the totals' marker is kept apart from them.
        dimensions = [_dimension_value(row[path]) for path in paths if path != "m__hour"]
        key = (hour, *dimensions, *[""] * (3 - len(dimensions)))
        found[key] = {name: _decimal(row[MEASURE + name]) for name in rollup.measures}
    return found


def _dimension_value(value) -> str:
    """A dimension's value as a fact keeps it: text, "" for none, and a value that reads as the
    totals' marker (ALL) kept apart from them."""
    text = "" if value is None else str(value)
    return text + " " if text == ALL else text


def _decimal(figure) -> Decimal:
    """A measure as stored: a duration in days (to the hundredth of a day, as the facts keep it)."""
    if isinstance(figure, timedelta):
        return round(Decimal(figure.total_seconds()) / 86400, 2)
    return Decimal(figure or 0)


def compute(rollup: Rollup, day: date, *, by_hour: bool = False) -> dict[tuple, dict[str, Decimal]]:
    return _grouped(rollup, source_rows(rollup, day, day), by_hour=by_hour)


ALL = "*"  # a dimension's column in a fact that adds up all its values


def _with_totals(rollup: Rollup, grouped: dict) -> dict:
    """`grouped` (by hour and the rollup's dimensions) with the totals the dashboards read most: over
    all the values of every dimension, and over all but one dimension's — so that a figure for the
    whole store, for one channel or by UF reads a row a day, not a row per combination. A reading on
    two dimensions or more sums the full rows."""
    count = len(rollup.dimensions)
    if not count:
        return grouped
    totals = defaultdict(lambda: defaultdict(Decimal))
    for (hour, *values), measures in grouped.items():
        kept = [ALL] * count + [""] * (MAX_DIMENSIONS - count)
        targets = [(hour, *kept)] if count == 1 else [(hour, *kept)] + [
            (hour, *[values[n] if n == index else part for n, part in enumerate(kept)]) for index in range(count)]
        for target in targets:
            for name, figure in measures.items():
                totals[target][name] += figure
    return {**grouped, **{key: dict(measures) for key, measures in totals.items()}}


def _facts(model, rollup: Rollup, day: date, grouped: dict) -> list:
    facts = []
    for (hour, d1, d2, d3), values in _with_totals(rollup, grouped).items():
        extra = {} if hour is None else {"hour": hour}
        facts.extend(model(rollup=rollup.name, measure=name, day=day, d1=d1, d2=d2, d3=d3, value=value, **extra)
                     for name, value in values.items() if value)
    return facts


def recompute(rollup: Rollup, day: date) -> None:
    """Replace the stored facts of `rollup` for `day` by what its rows add up to now."""
    with transaction.atomic():
        DayFact.objects.filter(rollup=rollup.name, day=day).delete()
        DayFact.objects.bulk_create(_facts(DayFact, rollup, day, compute(rollup, day)))
        HourFact.objects.filter(rollup=rollup.name, day=day).delete()
        if not rollup.day_only and day > today() - timedelta(days=HOURLY_DAYS):
            HourFact.objects.bulk_create(_facts(HourFact, rollup, day, compute(rollup, day, by_hour=True)))


def mark_stale(marks: Iterable[tuple[str, date]]) -> None:
    """Mark the (rollup, day) pairs stale in the current transaction, in one write."""
    now = timezone.now()
    StaleDay.objects.bulk_create([StaleDay(rollup=name, day=day, marked_at=now) for name, day in sorted(set(marks))])


def _locked(name: str, day: date) -> bool:
    """Whether this transaction holds the day of the rollup for itself: on PostgreSQL a transaction's
    advisory lock, none waited for (another worker has the day: it is left to it); SQLite runs one
    writer at a time."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [zlib.crc32(f"analytics:{name}:{day}".encode())])
        return cursor.fetchone()[0]


def refresh(*, limit: int = 1000) -> int:
    """Recompute up to `limit` stale days, oldest first; how many were recomputed. A day another
    worker holds is left to it; a change committed while its day was recomputed leaves a mark of its
    own (only the marks read before are cleared), for the next run."""
    done = 0
    pairs = StaleDay.objects.values_list("rollup", "day").distinct().order_by("day", "rollup")[:limit]
    for name, day in list(pairs):
        with transaction.atomic():
            if not _locked(name, day):
                continue
            seen = list(StaleDay.objects.filter(rollup=name, day=day).values_list("pk", flat=True))
            rollup = METRICS.rollups.get(name)
            if rollup is not None:  # a rollup no longer declared: its marks are dropped
                recompute(rollup, day)
            StaleDay.objects.filter(pk__in=seen).delete()
        done += 1
    HourFact.objects.filter(day__lte=today() - timedelta(days=HOURLY_DAYS)).delete()
    return done


def first_day(rollup: Rollup) -> date | None:
    """The day of the rollup's earliest row."""
    earliest = _counted(rollup).exclude(**{f"{rollup.moment}__isnull": True}).order_by(rollup.moment) \
        .values_list(rollup.moment, flat=True).first()
    return None if earliest is None else day_of(earliest)


def rebuild(*, start: date | None, end: date, rollups: Iterable[Rollup] | None = None, out=None) -> int:
    """Recompute every day from `start` (each rollup's first row's when None) to `end`, both included,
    of `rollups` (all of them by default); the days recomputed. Days outside the range are left as
    they are, and marks as they are (a change committed meanwhile is recomputed by the next refresh)."""
    done = 0
    for rollup in rollups if rollups is not None else METRICS.rollups.values():
        day = start or first_day(rollup)
        if day is None:
            if out:
                out(f"{rollup.name}: no rows yet")
            continue
        first = day
        while day <= end:
            recompute(rollup, day)
            day += timedelta(days=1)
            done += 1
        if out:
            out(f"{rollup.name}: {first:%d/%m/%Y}–{end:%d/%m/%Y}")
    return done
