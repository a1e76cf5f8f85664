"""The parcels' rollups and metrics (backoffice.metrics): shipped by the day they left, delivered by
the day they arrived (on time or not, and in how many days), along the carrier and the UF; the
returns by the day they were asked for, along their reason."""

from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, DAYS, MONEY, PERCENT, Dimension, Metric, Rollup, choice_labels, percent, ratio

from .models import ReturnRequest

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CARRIER = Dimension("carrier", _("Carrier"), "service__carrier__name")
UF = Dimension("uf", _("UF"), "order__ship_uf")

SHIPPED = Rollup(
    "logistics.shipped", model="logistics.Shipment", moment="shipped_at", dimensions=(CARRIER, UF),
    measures={"parcels": Count("pk"), "cost": Sum("cost")},
    watches={"logistics.Shipment": "pk"},
)
DELIVERED = Rollup(
    "logistics.delivered", model="logistics.Shipment", moment="delivered_at", dimensions=(CARRIER, UF),
    measures={
        "parcels": Count("pk"),
        "promised": Count("pk", filter=Q(promised_on__isnull=False)),
        # Delivered on or before the day promised, São Paulo's.
        "on_time": Count("pk", filter=Q(promised_on__gte=TruncDate("delivered_at", tzinfo=SAO_PAULO))),
        "days": Sum(ExpressionWrapper(F("delivered_at") - F("shipped_at"), output_field=DurationField()),
                    filter=Q(shipped_at__isnull=False)),
        "timed": Count("pk", filter=Q(shipped_at__isnull=False)),
    },
    watches={"logistics.Shipment": "pk"},
)
RETURNS = Rollup(
    "logistics.returns", model="logistics.ReturnRequest", moment="created_at",
    dimensions=(Dimension("reason", _("Reason"), "reason", choice_labels(ReturnRequest.Reason.choices)),),
    measures={"returns": Count("pk"), "refunded": Sum("refunded")},
    watches={"logistics.ReturnRequest": "pk"},
)


def freight_result(values):
    charged, cost = values.values()
    return charged - cost


METRICS = (
    SHIPPED, DELIVERED, RETURNS,
    Metric("logistics.shipped", _("Parcels shipped"), COUNT, ("logistics.shipped:parcels",)),
    Metric("logistics.delivered", _("Parcels delivered"), COUNT, ("logistics.delivered:parcels",)),
    Metric("logistics.on_time_rate", _("Delivered on time"), PERCENT,
           ("logistics.delivered:on_time", "logistics.delivered:promised"), percent,
           description=_("Parcels delivered by the day promised to the customer, of those delivered with a "
                         "promise.")),
    Metric("logistics.days_to_deliver", _("Days to deliver"), DAYS,
           ("logistics.delivered:days", "logistics.delivered:timed"), ratio, higher_is_better=False,
           description=_("From leaving to arriving, on average, of the parcels delivered.")),
    Metric("logistics.freight_cost", _("Freight cost"), MONEY, ("logistics.shipped:cost",), higher_is_better=False),
    Metric("logistics.freight_result", _("Freight charged less its cost"), MONEY,
           ("orders.sales:freight", "logistics.shipped:cost"), freight_result,
           description=_("The freight the orders of the period charged, less what their parcels shipped in the "
                         "period cost.")),
    Metric("logistics.returns", _("Returns"), COUNT, ("logistics.returns:returns",), higher_is_better=False),
)
