"""Platform screens: home, audit log, jobs, health, spreadsheet imports, and the public /healthz probe."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_celery_beat.models import PeriodicTask

from . import selectors, services
from .exports import FORMATS, export_response
from .filters import AuditEventFilter
from .imports import IMPORTERS
from .models import ImportFile
from .receivers import client_ip
from .roles import require
from .tables import Column, Table


def list_template(request, template):
    """The full page, or only its results partial for an HTMX request from its filter bar,
    sorting links or pagination."""
    return f"{template}#results" if request.htmx and not request.htmx.boosted else template


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        services.audit_record(
            actor=self.request.user, action="user.password_change", obj=self.request.user,
            ip_address=client_ip(self.request),
        )
        return response


def home(request):
    return render(request, "backoffice/home.html")


AUDIT_COLUMNS = [
    Column("created_at", gettext_lazy("When"), sort="created_at", kind="datetime"),
    Column("actor", gettext_lazy("User"), accessor="actor.username", sort="actor__username"),
    Column("action", gettext_lazy("Action"), sort="action", kind="badge"),
    Column("content_type", gettext_lazy("Object type"), accessor="content_type.name"),
    Column("object_repr", gettext_lazy("Object"), sort="object_repr"),
    Column("changes", gettext_lazy("Changes"), kind="changes"),
    Column("note", gettext_lazy("Note")),
    Column("ip_address", gettext_lazy("IP address")),
]


@require("backoffice.view_auditevent")
@require_GET
def audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=selectors.audit_events())
    table = Table(request, filterset.qs, AUDIT_COLUMNS, default_sort="-created_at")
    if table.export_format:
        return table.export_response(filename="audit-log")
    context = {"filter": filterset, "table": table}
    return render(request, list_template(request, "backoffice/audit_list.html"), context)


@require("django_celery_beat.view_periodictask")
@require_GET
def jobs_list(request):
    return render(request, "backoffice/jobs.html", {"jobs": selectors.jobs_list().order_by("name")})


@require("backoffice.run_job")
@require_POST
def job_run(request, pk):
    job = get_object_or_404(PeriodicTask, pk=pk)
    services.job_run_now(job=job, actor=request.user)
    messages.success(request, _("“%(job)s” was queued; its outcome appears here when it finishes.") % {"job": job.name})
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
    return export_response(
        header=[*importer.columns, *importer.optional_columns], rows=importer.example, fmt=fmt,
        filename=f"template-{importer.kind.replace('.', '-')}",
    )


@require_GET
def import_detail(request, pk):
    record = get_object_or_404(ImportFile, pk=pk)
    importer = _importer(record.kind, request.user)
    template = "backoffice/import_detail.html"
    return render(request, f"{template}#status" if request.htmx else template, {"record": record, "importer": importer})


@never_cache
@require("backoffice.view_health")
@require_GET
def health(request):
    return render(request, "backoffice/health.html", {"checks": selectors.health_checks()})


@never_cache
@login_not_required
@require_GET
def healthz(request):
    """For load balancers: 200 when this web process can reach its database, else 503. Nothing else."""
    ok = selectors.database_ok()
    return HttpResponse("ok" if ok else "unavailable", status=200 if ok else 503, content_type="text/plain")
