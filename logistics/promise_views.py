"""The promises kept, for staff: the list of the late and at-risk parcels (filtered, exported) and
the home page's notices of how many there are."""

import django_filters
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET

from backoffice.badges import badge
from backoffice.notices import Notice
from backoffice.roles import require
from backoffice.tables import Column, Table, table_response

from .models import Carrier, Shipment, TrackingEvent
from .promises import Reason, days_late, reason_label, stale_days, watch_counts, watched

WATCH = [("late", pgettext_lazy("parcels", "late")), ("at_risk", pgettext_lazy("parcels", "at risk"))]


class WatchFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="search")
    watch = django_filters.ChoiceFilter(label=gettext_lazy("Late or at risk"), choices=WATCH, method="late_or_at_risk",
                                        empty_label=gettext_lazy("All"))
    reason = django_filters.ChoiceFilter(label=gettext_lazy("Reason"), choices=Reason.choices,
                                         empty_label=gettext_lazy("All"))
    carrier = django_filters.ModelChoiceFilter(label=gettext_lazy("Carrier"), field_name="service__carrier",
                                               queryset=Carrier.objects.all(), empty_label=gettext_lazy("All"))

    class Meta:
        model = Shipment
        fields = ["q", "watch", "reason", "carrier"]

    def search(self, queryset, name, value):
        """The order's number (#2001) or the parcel's tracking code, as typed."""
        value = value.strip()
        match = Q(tracking_code__iexact="".join(value.split()))
        number = value.lstrip("#")
        if number.isascii() and number.isdigit() and int(number) < 2**31:
            match |= Q(order__number=int(number))
        return queryset.filter(match)

    def late_or_at_risk(self, queryset, name, value):
        late = Q(reason=Reason.LATE)
        return queryset.filter(late if value == "late" else ~late)


class ReasonColumn(Column):
    """The reason as a badge: red when late, amber when at risk."""

    def html(self, value, code=None):
        return badge(reason_label(value), tone_name="danger" if value == Reason.LATE else "warning")


def _order_url(shipment):
    return reverse("orders:order_detail", args=[shipment.order_id])


def _days_late(shipment):
    return days_late(shipment, timezone.localdate()) or None


def _carrier(shipment):
    return f"{shipment.service.carrier.name} {shipment.service.name}"


COLUMNS = [
    ReasonColumn("reason", gettext_lazy("Reason"), sort="urgency"),
    Column("order", gettext_lazy("Order"), accessor=lambda s: f"#{s.order.number}", sort="order__number",
           link=_order_url),
    Column("carrier", gettext_lazy("Carrier"), accessor=_carrier),
    Column("tracking_code", gettext_lazy("Tracking code"), sort="tracking_code", kind="code"),
    Column("promised_on", gettext_lazy("Promised for"), sort="promised_on", kind="datetime"),
    Column("days_late", gettext_lazy("Days late"), accessor=_days_late, kind="number"),
    Column("moved_at", gettext_lazy("Last event"), sort="moved_at", kind="template",
           template="logistics/late_last_event.html"),
]
EXPORT_COLUMNS = [
    Column("reason", gettext_lazy("Reason"), accessor=lambda s: reason_label(s.reason)),
    Column("order", gettext_lazy("Order"), accessor="order.number", kind="number"),
    Column("carrier", gettext_lazy("Carrier"), accessor="service.carrier.name"),
    Column("service", gettext_lazy("Service"), accessor="service.name"),
    Column("tracking_code", gettext_lazy("Tracking code")),
    Column("promised_on", gettext_lazy("Promised for"), kind="datetime"),
    Column("days_late", gettext_lazy("Days late"), accessor=_days_late, kind="number"),
    Column("tracking_status", gettext_lazy("Tracking"), display=True),
    Column("moved_at", gettext_lazy("Last event"), kind="datetime"),
    Column("last_place", gettext_lazy("Place")),
]


@require("logistics.view_shipment")
@require_GET
def late_list(request):
    """The parcels on their way that are late or at risk, each with its reason, the most overdue first."""
    newest = TrackingEvent.objects.filter(shipment=OuterRef("pk")).order_by("-occurred_at", "-pk")
    queryset = (watched().select_related("order", "service__carrier")
                .annotate(last_place=Subquery(newest.values("place")[:1])))
    filterset = WatchFilter(request.GET, queryset=queryset)
    table = Table(request, filterset.qs, COLUMNS, default_sort="promised_on", export_columns=EXPORT_COLUMNS)
    return table_response(request, "logistics/late.html", table, filename="late-parcels", filter=filterset,
                          stale_days=stale_days())


def promise_notices() -> list[Notice]:
    """How many parcels are late, and how many at risk, linked to their list (none when all is well)."""
    counts, url = watch_counts(), reverse("logistics:late")
    notices = []
    if counts["late"]:
        notices.append(Notice(ngettext("%(count)d parcel is late: past the date promised to the customer.",
                                       "%(count)d parcels are late: past the date promised to the customer.",
                                       counts["late"]) % {"count": counts["late"]},
                              "danger", f"{url}?watch=late", _("See the late parcels")))
    if counts["at_risk"]:
        notices.append(Notice(ngettext("%(count)d parcel is at risk of being late.",
                                       "%(count)d parcels are at risk of being late.",
                                       counts["at_risk"]) % {"count": counts["at_risk"]},
                              "warning", f"{url}?watch=at_risk", _("See the parcels at risk")))
    return notices
