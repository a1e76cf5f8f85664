"""What marks the rollups' days stale: the saves of the models they watch, the moves of those
models' state machines (a conditional UPDATE that sends no signal, but writes a timeline event), and
the signals of the apps' bulk writers.
Connected in AnalyticsConfig.ready(), once every app has declared its rollups."""

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save, pre_delete

from backoffice.demo import is_seeding
from backoffice.metrics import METRICS, Rollup
from backoffice.models import TimelineEvent

from .rollups import day_of, mark_stale


@dataclass(frozen=True)
class Watch:
    rollup: Rollup
    path: str  # from the rollup's rows to the watched model

    @property
    def moment_on_watched(self) -> str | None:
        """The rollup's moment read on the watched model itself ("placed_at" of an order, for its items
        counted at "order__placed_at"), None when the moment lies elsewhere."""
        moment = self.rollup.moment
        if self.path == "pk":
            return moment
        prefix = self.path + "__"
        return moment[len(prefix):] if moment.startswith(prefix) else None


WATCHES: dict[type, list[Watch]] = defaultdict(list)


def _changed(model, pk, instance=None) -> None:
    """Mark the days `model`'s row `pk` (as saved: `instance`; or as stored) counts on, in every rollup
    watching it: one query for the moments the row holds when it is not at hand, and one write."""
    if is_seeding():  # the demo's last seeder computes every day of its history at once
        return
    watches = WATCHES.get(model, ())
    stored = {watch.moment_on_watched for watch in watches
              if watch.moment_on_watched and (instance is None or "__" in watch.moment_on_watched)}
    row = (model._default_manager.filter(pk=pk).values(*stored).first() or {}) if stored else {}
    marks = set()
    for watch in watches:
        on_watched = watch.moment_on_watched
        if on_watched is None:  # the rows that reach it, each at its moment
            rows = apps.get_model(watch.rollup.model)._default_manager.filter(**{watch.path: pk})
            moments = rows.values_list(watch.rollup.moment, flat=True).distinct()
        else:
            moments = [row.get(on_watched) if on_watched in stored else getattr(instance, on_watched)]
        marks.update((watch.rollup.name, day_of(moment)) for moment in moments if moment is not None)
    mark_stale(marks)


def _saved(sender, instance, **kwargs):
    _changed(sender, instance.pk, instance)


def _moved(sender, instance: TimelineEvent, created, **kwargs):
    # A move (a note or a record changes no figure: what it records is saved on its own).
    if created and instance.to_status:
        model = ContentType.objects.get_for_id(instance.content_type_id).model_class()
        if model in WATCHES:
            _changed(model, instance.object_id)


def connect() -> None:
    WATCHES.clear()
    for rollup in METRICS.rollups.values():
        for label, path in rollup.watches.items():
            WATCHES[apps.get_model(label)].append(Watch(rollup, path))
        for index, (signal, days) in enumerate(rollup.signals):
            signal.connect(_bulk_writer(rollup.name, days), weak=False, dispatch_uid=f"analytics-{rollup.name}-{index}")
    for model in WATCHES:
        post_save.connect(_saved, sender=model, dispatch_uid=f"analytics-saved-{model._meta.label}")
        # Before the row goes, while its moment can still be read.
        pre_delete.connect(_saved, sender=model, dispatch_uid=f"analytics-deleted-{model._meta.label}")
    post_save.connect(_moved, sender=TimelineEvent, dispatch_uid="analytics-moved")


def _bulk_writer(name: str, days):
    def written(sender, **kwargs):
        if not is_seeding():
            mark_stale((name, day) for day in days(**kwargs))

    return written
