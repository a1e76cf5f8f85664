"""The net margin of the orders, by the day they were placed, along their channel and UF: what an
order brought (its total: items less discounts, plus the freight charged) less what it cost — the
payment providers' fees, the marketplace's commission, the freight paid to the carrier and the cost
of its goods as the stock ledger shipped them.

An order's margin is known once each of its costs is: it was paid through a payment the store
records (the provider's fee), it left (the carrier's price and the ledger's cost of its units), and
it did not come from a marketplace (whose commissions the store does not record yet). The rest are
counted apart, as unknown, never as a margin of zero. Analytics reads the orders', payments', parcels'
and ledger's tables; none of those apps knows of it."""

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, MONEY, PERCENT, Metric, Rollup, percent
from inventory.models import Movement
from logistics.models import Shipment
from orders.metrics import CHANNEL, SOLD, UF
from orders.models import Channel
from payments.metrics import APPROVED
from payments.models import Payment

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
MARKETPLACES = [Channel.MERCADOLIVRE, Channel.AMAZON, Channel.SHOPEE, Channel.MAGALU]


def _total(rows, figure) -> Coalesce:
    """The sum of `figure` over `rows` (of the order in OuterRef), zero when there are none: SUM() as a
    plain function, so that the subquery is not grouped."""
    summed = rows.order_by().annotate(total=Func(figure, function="SUM", output_field=MONEY_FIELD)).values("total")
    return Coalesce(Subquery(summed, output_field=MONEY_FIELD), Value(0, output_field=MONEY_FIELD))


PAYMENTS = Payment.objects.filter(APPROVED, order=OuterRef("pk"))
PARCELS = Shipment.objects.filter(order=OuterRef("pk")).exclude(status=Shipment.Status.CANCELLED)
SHIPPED_UNITS = Movement.objects.filter(
    kind=Movement.Kind.SALE, reference=Concat(Value("order:"), Cast(OuterRef("pk"), CharField())))
KNOWN = Q(paid_through=True, sent=True, shipped_units=True) & ~Q(channel__in=MARKETPLACES)

MARGIN = Rollup(
    "analytics.margin", model="orders.Order", moment="placed_at", rows=SOLD, dimensions=(CHANNEL, UF),
    annotations={
        "paid_through": Exists(PAYMENTS), "sent": Exists(PARCELS), "shipped_units": Exists(SHIPPED_UNITS),
        "fees": _total(PAYMENTS, "fees"), "freight_paid": _total(PARCELS, "cost"),
        "goods": _total(SHIPPED_UNITS, ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=MONEY_FIELD)),
    },
    measures={
        "known": Count("pk", filter=KNOWN),
        "unknown": Count("pk", filter=~KNOWN),
        "revenue": Sum("total", filter=KNOWN),
        "costs": Sum(ExpressionWrapper(F("fees") + F("freight_paid") + F("goods"), output_field=MONEY_FIELD),
                     filter=KNOWN),
    },
    # An order's payments and parcels change its costs; its units leave the ledger as it ships (a move).
    watches={"orders.Order": "pk", "payments.Payment": "payments", "logistics.Shipment": "shipments"},
)


def margin(values):
    revenue, costs = values.values()
    return revenue - costs


def margin_rate(values):
    revenue, costs = values.values()
    return percent({"margin": revenue - costs, "revenue": revenue})


MARGIN_METRICS = (
    MARGIN,
    Metric("analytics.net_margin", _("Net margin"), MONEY, ("analytics.margin:revenue", "analytics.margin:costs"),
           margin, description=_("Of the orders whose costs are all known: their totals less the providers' fees, "
                                 "the freight paid and the cost of their goods.")),
    Metric("analytics.net_margin_rate", _("Net margin rate"), PERCENT,
           ("analytics.margin:revenue", "analytics.margin:costs"), margin_rate,
           description=_("The net margin as a share of what those orders brought.")),
    Metric("analytics.margin_unknown", _("Orders whose margin is not known yet"), COUNT,
           ("analytics.margin:unknown",), higher_is_better=False,
           description=_("Orders sold not yet paid through a recorded payment, not yet shipped, or from a "
                         "marketplace (whose commissions are not recorded yet).")),
)
