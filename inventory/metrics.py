"""The stock's rollups and metrics (backoffice.metrics): the ledger by the day its units moved, along
the warehouse — units and their value at cost in and out, units sold — from which the stock on hand
and its value on any day are the sum of the days up to it; and the daily low-stock check's SKUs out
of stock."""

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, DAYS, MONEY, PERIOD_DAYS, Dimension, Metric, Rollup

from .models import Movement, State
from .signals import reorder_checked

IN, OUT = Q(from_state=State.OUTSIDE), Q(to_state=State.OUTSIDE)
# A row's cost (the rows written before each carried one: the product's average cost now).
VALUE = F("quantity") * Coalesce("unit_cost", "product__cost")
WAREHOUSE = Dimension("warehouse", _("Warehouse"), "warehouse__code")

LEDGER = Rollup(
    "inventory.ledger", model="inventory.Movement", moment="created_at", dimensions=(WAREHOUSE,),
    measures={
        "units_in": Sum("quantity", filter=IN), "units_out": Sum("quantity", filter=OUT),
        "value_in": Sum(VALUE, filter=IN), "value_out": Sum(VALUE, filter=OUT),
        "units_sold": Sum("quantity", filter=Q(kind=Movement.Kind.SALE)),
    },
    watches={"inventory.Movement": "pk"},
)
ALERTS = Rollup(
    "inventory.alerts", model="inventory.ReorderAlert", moment="day", day_only=True,
    measures={"stockouts": Count("pk", filter=Q(available__lte=0)), "low": Count("pk")},
    watches={}, signals=((reorder_checked, lambda day, **kwargs: [day]),),
)


def balance(values):
    came, went = values.values()
    return came - went


def cover(values):
    """The days the stock on hand lasts at the period's sales a day; unknown without sales."""
    came, went, sold, days = values.values()
    return None if not sold else (came - went) * days / sold


METRICS = (
    LEDGER, ALERTS,
    Metric("inventory.units_on_hand", _("Units in stock"), COUNT,
           ("inventory.ledger:units_in@to_date", "inventory.ledger:units_out@to_date"), balance,
           description=_("Units in the warehouses at the end of the period.")),
    Metric("inventory.stock_value", _("Stock value at cost"), MONEY,
           ("inventory.ledger:value_in@to_date", "inventory.ledger:value_out@to_date"), balance,
           description=_("The units in the warehouses at the end of the period, at the cost they moved at.")),
    Metric("inventory.units_sold", _("Units shipped to customers"), COUNT, ("inventory.ledger:units_sold",)),
    Metric("inventory.days_of_cover", _("Days of cover"), DAYS,
           ("inventory.ledger:units_in@to_date", "inventory.ledger:units_out@to_date", "inventory.ledger:units_sold",
            PERIOD_DAYS), cover,
           description=_("How many days the stock at the end of the period lasts at the period's sales a day.")),
    Metric("inventory.stockouts", _("SKUs out of stock"), COUNT, ("inventory.alerts:stockouts@last_day",),
           higher_is_better=False,
           description=_("SKUs with nothing available at the daily low-stock check of the period's last day.")),
    Metric("inventory.low_stock", _("SKUs at or under their reorder point"), COUNT,
           ("inventory.alerts:low@last_day",), higher_is_better=False),
)
