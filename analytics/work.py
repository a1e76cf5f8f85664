"""The managers' line on the home page (backoffice.worklist): today's orders and sales against
yesterday at the same hour and against the month's goal, read from the rollups."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.metrics import PERCENT
from backoffice.money import format_money
from backoffice.worklist import WorkCount

from . import goals
from .dashboard import format_in
from .selectors import Period, measures

NEEDS = ("orders.sales:orders", "orders.sales:gmv")


def manager_work() -> list[WorkCount]:
    """The orders placed today (linked to the order list of today), with today's sales, yesterday's
    by this hour, and how far the store's sales goal of today is."""
    now = timezone.localtime()
    today = now.date()
    yesterday = today - timedelta(days=1)
    figures = measures(NEEDS, Period(today, today)).get(None, {})
    before = measures(NEEDS, Period(yesterday, yesterday), until_hour=now.hour).get(None, {})
    detail = _("%(today)s in sales; yesterday by this hour, %(yesterday)s.") % {
        "today": format_money(figures.get("orders.sales:gmv", 0)),
        "yesterday": format_money(before.get("orders.sales:gmv", 0))}
    store_goals = [goal for goal in goals.current_goals(today=today) if goal.metric == "orders.gmv" and not goal.where]
    for row in goals.progress(store_goals[:1], today=today):
        detail += " " + _("Goal: %(share)s of %(target)s, %(status)s.") % {
            "share": format_in(PERCENT, row.share), "target": row.target_shown, "status": row.status_label}
    url = reverse("orders:order_list") + f"?placed_at_after={today:%Y-%m-%d}&placed_at_before={today:%Y-%m-%d}"
    return [WorkCount(_("Orders placed today"), int(figures.get("orders.sales:orders", 0)), url, "info", detail)]
