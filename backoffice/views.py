"""Platform screens: home, audit log, jobs, health and spreadsheet imports, and the error
page for a database that cannot be reached."""

import logging
import sys

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_celery_beat.models import PeriodicTask

from . import selectors, services
from .audit import action_label, audit_record, changes_shown, note_shown
from .exports import FORMATS, Sheet, export_response
from .filters import AuditEventFilter, JobFilter
from .http import client_ip
from .imports import IMPORTERS
from .jobs import IN_PROGRESS
from .models import ImportFile, SavedFilter
from .notices import notices_for
from .roles import require, role_of
from .tables import Column, Table, table_response
from .templatetags.backoffice import schedule
from .worklist import work_for

logger = logging.getLogger(__name__)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(
            actor=self.request.user, action="user.password_change", obj=self.request.user,
            ip_address=client_ip(self.request),
        )
        return response


def home(request):
    """What the user's role should look at now: the notices, then the counts of what waits for them."""
    return render(request, "backoffice/home.html", {"notices": notices_for(request.user),
                                                    "sections": work_for(request.user)})


AUDIT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("actor", gettext_lazy("User"), accessor="actor.username", sort="actor__username"),
    Column("action", gettext_lazy("Action"), accessor=lambda event: action_label(event.action), sort="action",
           kind="badge"),
    Column("content_type", gettext_lazy("Object type"), accessor="content_type.name"),
    Column("object_repr", gettext_lazy("Object"), sort="object_repr"),
    Column("changes", gettext_lazy("Changes"), accessor=changes_shown, kind="changes"),
    Column("note", gettext_lazy("Note"), accessor=note_shown),
    Column("ip_address", gettext_lazy("IP address")),
]


@require("backoffice.view_auditevent")
@require_GET
def audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.audit_events())
    table = Table(request, filterset.qs, AUDIT_COLUMNS, default_sort="-created_at")
    return table_response(request, "backoffice/audit_list.html", table, filename="audit-log", filter=filterset)


JOB_COLUMNS = [
    Column("name", gettext_lazy("Job"), sort="name", kind="template", template="backoffice/cells/job_name.html"),
    Column("schedule", gettext_lazy("Schedule"), accessor=schedule),
    Column("last_run_at", gettext_lazy("Last run"), sort="last_run_at", kind="datetime"),
    Column("last_status", gettext_lazy("Outcome"), sort="last_status", kind="template",
           template="backoffice/cells/job_outcome.html"),
    Column("total_run_count", gettext_lazy("Runs"), sort="total_run_count", kind="number"),
    Column("run", "", accessor=lambda job: None, kind="template", template="backoffice/cells/job_run.html"),
]
JOB_EXPORT_COLUMNS = [
    Column("name", gettext_lazy("Job")), Column("task", gettext_lazy("Task")), JOB_COLUMNS[1], JOB_COLUMNS[2],
    Column("last_status", gettext_lazy("Outcome")), Column("last_done", gettext_lazy("Finished")),
    Column("enabled", gettext_lazy("Enabled")), JOB_COLUMNS[4],
]


@require("django_celery_beat.view_periodictask")
@require_GET
def jobs_list(request):
    """The jobs, their schedules and latest runs; while one runs, the list refreshes itself."""
    filterset = JobFilter(request.GET, queryset=selectors.jobs_list())
    table = Table(request, filterset.qs, JOB_COLUMNS, default_sort="name", target="jobs",
                  export_columns=JOB_EXPORT_COLUMNS)
    running = not table.export_format and any(job.last_status in IN_PROGRESS for job in table.page.object_list)
    return table_response(request, "backoffice/jobs.html", table, filename="jobs", filter=filterset,
                          running=running)


@require("backoffice.run_job")
@require_POST
def job_run(request, pk):
    job = get_object_or_404(PeriodicTask, pk=pk)
    try:
        services.job_run_now(job=job, actor=request.user)
    except services.JobNotQueued as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(job)s” was queued; its outcome appears here when it finishes.")
                         % {"job": job.name})
    return redirect("jobs")


def _importer(kind, user):
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise Http404
    if not user.has_perm(importer.permission):
        raise PermissionDenied
    return importer


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.csv or .xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Send a .csv or .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


def import_new(request, kind):
    """Upload a spreadsheet for an importer (its permission is checked here)."""
    importer = _importer(kind, request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        record = services.import_upload(importer=importer, uploaded_file=form.cleaned_data["file"], user=request.user)
        return redirect("import_detail", pk=record.pk)
    return render(request, "backoffice/import_new.html", {"importer": importer, "form": form})


def import_template(request, kind, fmt):
    importer = _importer(kind, request.user)
    if fmt not in FORMATS:
        raise Http404
    columns = [*importer.columns, *importer.optional_columns]
    name = f"template-{importer.kind.replace('.', '-')}"
    return export_response(
        Sheet.of_columns(name, columns, importer.example),
        fmt=fmt, filename=name,
    )


@require_GET
def import_detail(request, pk):
    record = get_object_or_404(ImportFile, pk=pk)
    importer = _importer(record.kind, request.user)
    # The report quotes the file's rows: only its uploader and the admins see it (a 404 for others tells nothing).
    user = request.user
    if record.uploaded_by_id != user.pk and not (user.is_superuser or "admin" in role_of(user)):
        raise Http404
    template = "backoffice/import_detail.html"
    return render(request, f"{template}#status" if request.htmx else template, {"record": record, "importer": importer})


@require_POST
def saved_filter_save(request):
    """Save (or replace) the user's named filter of the list screen they are on."""
    path = request.POST.get("path", "")
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "").lstrip("?")[:1000]
    # Only a path of this site (never "//other.host/…").
    if not (path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()})):
        return redirect("home")
    if not name:
        messages.error(request, _("Give the filter a name."))
    else:
        SavedFilter.objects.update_or_create(user=request.user, path=path, name=name, defaults={"query": query})
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return redirect(f"{path}?{query}")


@require_POST
def saved_filter_delete(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return redirect(saved.path)


@never_cache
@require("backoffice.view_health")
@require_GET
def health(request):
    return render(request, "backoffice/health.html", {"checks": selectors.health_checks(),
                                                      "notices": notices_for(request.user)})


def server_error(request):
    """The 500 handler. When the database cannot be reached (restarting, failing over), the
    answer is a 503 with Retry-After: the client, or the provider sending a webhook, tries
    again, and the next request after the database returns is served as usual — persistent
    connections are checked before reuse (CONN_HEALTH_CHECKS). Rendered without the request,
    so nothing here touches the database."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, (OperationalError, InterfaceError))
    if unavailable:
        logger.warning("database unavailable: %s", error)
    if request.path.startswith("/api/"):  # machines are answered in JSON, whatever happened
        response = JsonResponse({"error": _("The database is not answering right now. Try again in a minute.")
                                 if unavailable else _("Internal error: the request was not processed.")},
                                status=503 if unavailable else 500)
    elif unavailable:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    else:
        return defaults.server_error(request)
    if unavailable:
        response["Retry-After"] = "30"
    return response
