"""The scheduled reports: listed with their schedule and last outcome, set, changed, deleted after a
confirmation, sent by hand for their current slot, each with its page of runs."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from backoffice.roles import require
from backoffice.tables import Column, Table, table_response
from backoffice.templatetags.backoffice import dt

from . import reports
from .models import ReportRun, ScheduledReport
from .report_forms import ScheduledReportForm, initial_from


def _report_url(report):
    return reverse("analytics:report_detail", args=[report.pk])


def _owner(report):
    return report.created_by.get_full_name() or report.created_by.get_username()


LAST_OUTCOME = gettext_lazy("Last run")
REPORT_COLUMNS = [
    Column("name", gettext_lazy("Name"), sort="name", link=_report_url),
    Column("kind", gettext_lazy("What it sends"), accessor=lambda report: capfirst(report.get_kind_display()),
           sort="kind"),
    Column("schedule", gettext_lazy("When"), accessor=reports.schedule_words),
    Column("recipient_count", gettext_lazy("Recipients"), accessor=lambda report: len(report.recipients),
           kind="number"),
    Column("next_run_at", gettext_lazy("Next run"), accessor=lambda report: report.next_run_at if report.active
           else None, sort="next_run_at", kind="datetime"),
    Column("last_outcome", LAST_OUTCOME, kind="template", template="analytics/report_outcome.html"),
    Column("owner", gettext_lazy("Owner"), accessor=_owner),
    Column("active", gettext_lazy("Active"), kind="bool"),
]
# The spreadsheet's: the last run's outcome as its words.
REPORT_EXPORT_COLUMNS = [column if column.kind != "template" else
                         Column("last_outcome", LAST_OUTCOME, accessor=lambda report: report.last_outcome_label)
                         for column in REPORT_COLUMNS]

RUN_COLUMNS = [
    Column("due_at", gettext_lazy("For"), sort="due_at", kind="datetime"),
    Column("outcome", gettext_lazy("Outcome"), display=True, sort="outcome", kind="badge"),
    Column("error", gettext_lazy("Why")),
    Column("recipients", gettext_lazy("Recipients"), kind="number"),
    Column("rows", gettext_lazy("Rows"), kind="number"),
    Column("size", gettext_lazy("File size"), accessor=lambda run: filesizeformat(run.size) if run.size else None),
    Column("finished_at", gettext_lazy("Finished"), sort="finished_at", kind="datetime"),
]


def _latest_run(field: str) -> Subquery:
    return Subquery(ReportRun.objects.filter(report=OuterRef("pk")).order_by("-due_at", "-pk").values(field)[:1])


@require("analytics.view_scheduledreport")
@require_GET
def report_list(request):
    found = ScheduledReport.objects.select_related("created_by").annotate(
        last_outcome=_latest_run("outcome"), last_run_at=_latest_run("finished_at"))
    table = Table(request, found, REPORT_COLUMNS, default_sort="name", export_columns=REPORT_EXPORT_COLUMNS)
    return table_response(request, "analytics/report_list.html", table, filename="scheduled-reports")


@require("analytics.view_scheduledreport")
@require_GET
def report_detail(request, pk):
    """The report's settings and its runs, newest first."""
    report = get_object_or_404(ScheduledReport.objects.select_related("created_by"), pk=pk)
    table = Table(request, report.runs.all(), RUN_COLUMNS, default_sort="-due_at")
    return table_response(request, "analytics/report_detail.html", table, filename=f"report-{report.pk}-runs",
                          report=report, owner=_owner(report), schedule=reports.schedule_words(report),
                          filters=reports.where_words(report))


def _form_page(request, report: ScheduledReport, title: str, initial=None):
    form = ScheduledReportForm(request.POST or None, instance=report, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        report = reports.report_save(report=form.save(commit=False), user=request.user)
        messages.success(request, _("Report saved: next sent on %(when)s.") % {"when": dt(report.next_run_at)})
        return redirect("analytics:report_detail", report.pk)
    cancel = _report_url(report) if report.pk else reverse("analytics:reports")
    return render(request, "analytics/report_form.html", {"form": form, "title": title, "cancel_url": cancel})


@require("analytics.add_scheduledreport")
def report_new(request):
    """A new report; the page that links here gives what it starts with (initial_from)."""
    return _form_page(request, ScheduledReport(), _("New scheduled report"), initial=initial_from(request.GET))


@require("analytics.change_scheduledreport")
def report_edit(request, pk):
    return _form_page(request, get_object_or_404(ScheduledReport, pk=pk), _("Change the scheduled report"))


@require("analytics.delete_scheduledreport")
def report_delete(request, pk):
    report = get_object_or_404(ScheduledReport, pk=pk)
    if request.method == "POST":
        reports.report_delete(report=report, user=request.user)
        messages.success(request, _("Report deleted."))
        return redirect("analytics:reports")
    return render(request, "analytics/report_delete.html", {"report": report, "runs": report.runs.count()})


@require("analytics.change_scheduledreport")
@require_POST
def report_send(request, pk):
    """Run the report now for its current slot (the latest that came): once per slot, as the job."""
    report = get_object_or_404(ScheduledReport.objects.select_related("created_by"), pk=pk)
    due_at = reports.slot_before(report, timezone.now())
    try:
        run, made = reports.report_run(report=report, due_at=due_at)
    except OSError:
        messages.error(request, _("The mail server cannot be reached: nothing was sent. Try again in a few minutes."))
        return redirect("analytics:report_detail", report.pk)
    if not made:
        messages.info(request, _("The report of %(slot)s was sent already, on %(when)s: each is sent once.")
                      % {"slot": dt(due_at), "when": dt(run.finished_at)})
    elif run.outcome == ReportRun.Outcome.SENT:
        messages.success(request, ngettext("Report of %(slot)s sent to %(count)d address.",
                                           "Report of %(slot)s sent to %(count)d addresses.", run.recipients)
                         % {"slot": dt(due_at), "count": run.recipients})
    else:
        messages.error(request, _("Not sent: %(why)s") % {"why": run.error})
    return redirect("analytics:report_detail", report.pk)
