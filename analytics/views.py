"""The dashboards page, its live partials and its charts' downloads."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backoffice.exports import FORMATS, export_response
from backoffice.roles import require

from . import dashboard, goals, reports
from .forms import DashboardForm

LIVE_SECONDS = 15  # how often the tiles ask for their figures again (within 30 s of a sale, with the refresh's)


def _context(request) -> dict:
    form = DashboardForm(request.GET or None)
    period, where = form.chosen(), form.where()
    return {"form": form, "period": period, "previous": period.previous(), "where": where,
            "query": request.GET.urlencode(), "live_seconds": LIVE_SECONDS, "updated_at": timezone.now()}


def _goals(request, where: dict) -> list:
    """The progress of today's goals that the page's filter holds, for those who may see them."""
    if not request.user.has_perm("analytics.view_goal"):
        return []
    return goals.progress([goal for goal in goals.current_goals() if goal.where.items() <= where.items()])


def _figures(request, context) -> dict:
    """The tiles and the goals: what the page polls."""
    return {"tiles": dashboard.tiles(context["period"], context["where"]), "goals": _goals(request, context["where"])}


@require("analytics.view_dashboard")
@require_GET
def dashboard_page(request):
    """The period's tiles against the period before, and the charts."""
    context = _context(request)
    figures = _figures(request, context)
    return render(request, "analytics/dashboard.html", {
        **context, **figures,
        "charts": [(chart, dashboard.chart_data(chart, context["period"], context["where"], figures["goals"]))
                   for chart in dashboard.charts(context["where"])]})


@require("analytics.view_dashboard")
@require_GET
def tiles(request):
    """The tiles alone: what the page polls for."""
    context = _context(request)
    return render(request, "analytics/partials/tiles.html", {**context, **_figures(request, context)})


@require("analytics.view_dashboard")
@require_GET
def chart(request, name):
    """One chart (polled), or its figures as CSV or XLSX (?format=)."""
    found = dashboard.chart_by_name(name)
    context = _context(request)
    if found is None or found not in dashboard.charts(context["where"]):
        raise Http404("No such chart")
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        period = context["period"]
        return export_response(reports.chart_sheet(found, period, context["where"]), fmt=fmt,
                               filename=f"{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}")
    lines = _goals(request, context["where"])
    return render(request, "analytics/partials/chart.html",
                  {**context, "chart": found, "data": dashboard.chart_data(found, context["period"], context["where"],
                                                                            lines)})
