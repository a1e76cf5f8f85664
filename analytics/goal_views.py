"""The goals: listed with their progress, set, changed and deleted by managers, each with its page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.roles import require

from . import goals, services
from .dashboard import format_figure
from .forms import GoalForm
from .models import Goal
from .selectors import Period, series

PER_PAGE = 25
SHOWN = {"current": gettext_lazy("Current"), "past": gettext_lazy("Ended"), "upcoming": gettext_lazy("Not started"),
         "all": gettext_lazy("All")}


@require("analytics.view_goal")
def goal_list(request):
    today = timezone.localdate()
    shown = request.GET.get("show") if request.GET.get("show") in SHOWN else "current"
    found = Goal.objects.all()
    if shown == "current":
        found = found.filter(start__lte=today, end__gte=today)
    elif shown == "past":
        found = found.filter(end__lt=today)
    elif shown == "upcoming":
        found = found.filter(start__gt=today)
    page = Paginator(found.order_by("end", "metric", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    template = "analytics/goal_list.html#results" if request.htmx else "analytics/goal_list.html"
    return render(request, template, {
        "page": page, "rows": goals.progress(page.object_list, today=today), "shown": shown,
        "choices": SHOWN.items()})


def _form_page(request, goal: Goal, title: str):
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST" and form.is_valid():
        goal = services.goal_save(goal=form.save(commit=False), user=request.user)
        messages.success(request, _("Goal saved."))
        return redirect("analytics:goal_detail", goal.pk)
    cancel = reverse("analytics:goal_detail", args=[goal.pk]) if goal.pk else reverse("analytics:goals")
    return render(request, "form_page.html", {"form": form, "title": title, "cancel_url": cancel})


@require("analytics.add_goal")
def goal_new(request):
    return _form_page(request, Goal(), _("New goal"))


@require("analytics.change_goal")
def goal_edit(request, pk):
    return _form_page(request, get_object_or_404(Goal, pk=pk), _("Change the goal"))


@require("analytics.delete_goal")
def goal_delete(request, pk):
    goal = get_object_or_404(Goal, pk=pk)
    if request.method == "POST":
        services.goal_delete(goal=goal, user=request.user)
        messages.success(request, _("Goal deleted."))
        return redirect("analytics:goals")
    return render(request, "analytics/goal_delete.html", {"goal": goal})


@require("analytics.view_goal")
def goal_detail(request, pk):
    """The goal's progress and pace, and its days so far against the target; the figures polled."""
    goal = get_object_or_404(Goal, pk=pk)
    [row] = goals.progress([goal]) or [None]
    context = {"goal": goal, "row": row}
    if row is not None:
        context["chart"] = _cumulative(row)
    template = "analytics/partials/goal_progress.html" if request.htmx else "analytics/goal_detail.html"
    return render(request, template, context)


def _cumulative(row) -> dict:
    """The metric day by day over the goal's period, added up when it adds up, with the target."""
    goal, metric = row.goal, row.metric
    last = min(goal.end, timezone.localdate())
    days = series(metric.name, Period(goal.start, last), where=goal.where) if last >= goal.start else []
    running, points = 0, []
    for _day, figure in days:
        running = running + (figure or 0) if metric.adds_up else figure
        points.append(None if running is None else float(running))
    return {"type": "line", "horizontal": False, "unit": metric.unit,
            "labels": [f"{day:%d/%m}" for day, _figure in days],
            "datasets": [{"label": str(metric.label), "data": points, "dashed": False}],
            "annotations": {"target": {"type": "line", "yMin": float(goal.target), "yMax": float(goal.target),
                                       "borderDash": [6, 4],
                                       "label": {"display": True,
                                                 "content": _("Target: %(target)s")
                                                 % {"target": format_figure(metric, goal.target)}}}}}
