"""The orders' rollups and metrics (backoffice.metrics): sales by the day an order was placed, along
its channel and the UF it ships to; items sold; the post-sale survey (NPS)."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, MONEY, PERCENT, SCORE, Dimension, Metric, Rollup, choice_labels, percent, ratio

from .models import Channel, Order, Status

CHANNEL = Dimension("channel", _("Channel"), "channel", choice_labels(Channel.choices))
UF = Dimension("uf", _("UF"), "ship_uf")

SOLD = ~Q(status=Status.CANCELLED)
# A customer's first order ever (whatever became of it): earlier ones are placed before it, or at
# the same moment with a lower id.
FIRST = ~Exists(Order.objects.filter(Q(placed_at__lt=OuterRef("placed_at"))
                                     | Q(placed_at=OuterRef("placed_at"), pk__lt=OuterRef("pk")),
                                     customer=OuterRef("customer")))

SALES = Rollup(
    "orders.sales", model="orders.Order", moment="placed_at", dimensions=(CHANNEL, UF),
    measures={
        "orders": Count("pk"),
        "web_orders": Count("pk", filter=Q(channel=Channel.WEB)),  # what the website's sessions convert into
        "sold": Count("pk", filter=SOLD),
        "gmv": Sum("total", filter=SOLD),
        "discounts": Sum("discount_total", filter=SOLD),
        "freight": Sum("shipping_total", filter=SOLD),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED)),
        "cancelled_value": Sum("total", filter=Q(status=Status.CANCELLED)),
        "new_customers": Count("pk", filter=SOLD & Q(FIRST)),
    },
    watches={"orders.Order": "pk"},
)
ITEMS = Rollup(
    "orders.items", model="orders.OrderItem", moment="order__placed_at", rows=~Q(order__status=Status.CANCELLED),
    dimensions=(Dimension("channel", CHANNEL.label, "order__channel", CHANNEL.labels),
                Dimension("uf", UF.label, "order__ship_uf")),
    measures={"units": Sum("quantity"), "lines": Count("pk")},
    # An order's items are written with it, and counted once it is not cancelled.
    watches={"orders.Order": "order", "orders.OrderItem": "pk"},
)
SURVEY = Rollup(
    "orders.survey", model="orders.SurveyAnswer", moment="answered_at",
    dimensions=(Dimension("channel", CHANNEL.label, "order__channel", CHANNEL.labels),
                Dimension("uf", UF.label, "order__ship_uf")),
    measures={"answers": Count("pk"), "promoters": Count("pk", filter=Q(score__gte=9)),
              "detractors": Count("pk", filter=Q(score__lte=6))},
    watches={"orders.SurveyAnswer": "pk"},
)


def nps(values) -> object:
    """Promoters' share minus detractors', in points (−100 to 100); unknown without answers."""
    answers, promoters, detractors = values.values()
    return None if not answers else (promoters - detractors) * 100 / answers


def returning(values) -> object:
    sold, new = values.values()
    return sold - new


METRICS = (
    SALES, ITEMS, SURVEY,
    Metric("orders.placed", _("Orders placed"), COUNT, ("orders.sales:orders",),
           description=_("Orders placed in the period, whatever became of them.")),
    Metric("orders.web_orders", _("Web store orders"), COUNT, ("orders.sales:web_orders",)),
    Metric("orders.sold", _("Orders sold"), COUNT, ("orders.sales:sold",),
           description=_("Orders placed in the period and not cancelled.")),
    Metric("orders.gmv", _("Sales (GMV)"), MONEY, ("orders.sales:gmv",),
           description=_("What the orders placed in the period and not cancelled add up to, freight included.")),
    Metric("orders.aov", _("Average order value"), MONEY, ("orders.sales:gmv", "orders.sales:sold"), ratio),
    Metric("orders.discounts", _("Discounts"), MONEY, ("orders.sales:discounts",), higher_is_better=False),
    Metric("orders.freight", _("Freight charged"), MONEY, ("orders.sales:freight",)),
    Metric("orders.cancellations", _("Cancellations"), COUNT, ("orders.sales:cancelled",), higher_is_better=False),
    Metric("orders.cancellation_rate", _("Cancellation rate"), PERCENT,
           ("orders.sales:cancelled", "orders.sales:orders"), percent, higher_is_better=False),
    Metric("orders.units", _("Items sold"), COUNT, ("orders.items:units",)),
    Metric("orders.new_customers", _("New customers"), COUNT, ("orders.sales:new_customers",),
           description=_("Orders sold that are their customer's first order.")),
    Metric("orders.returning_customers", _("Returning customers"), COUNT,
           ("orders.sales:sold", "orders.sales:new_customers"), returning,
           description=_("Orders sold to a customer who had ordered before.")),
    Metric("orders.nps", _("NPS"), SCORE, ("orders.survey:answers", "orders.survey:promoters",
                                           "orders.survey:detractors"), nps,
           description=_("Promoters (9–10) minus detractors (0–6), as a share of the survey's answers.")),
)
