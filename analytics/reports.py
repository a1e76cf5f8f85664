"""Scheduled reports: when each is due (its slots, at an hour of São Paulo's), what it sends (the
dashboards' figures as a workbook, or a list screen's own XLSX export with its filters, produced with
its owner's permissions), and its runs — one per slot, so a slot is e-mailed once."""

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import import_module
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.messages.storage import default_storage
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, transaction
from django.http import Http404, HttpRequest, QueryDict
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import formats, timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django_htmx.middleware import HtmxDetails

from backoffice.audit import audit_record
from backoffice.dates import month_before, period_bounds
from backoffice.exports import XLSX_TYPE, Row, Sheet, exports_written, xlsx_file
from backoffice.metrics import METRICS, MONEY, PERCENT

from . import dashboard
from .models import ReportRun, ScheduledReport
from .selectors import Period

logger = logging.getLogger(__name__)

MAX_RECIPIENTS = 20
# The largest attachment sent: mail servers commonly take 25 MB, and base64 makes a file a third larger.
MAX_BYTES = 18 * 1024 * 1024
DASHBOARD_PERMISSION = "analytics.view_dashboard"
# What a list's address keeps of its query: its filters and sort, not the page shown nor a download asked
# for (a list's ?export=, a chart's ?format=: the dashboards' figures are a report of their own).
NOT_FILTERS = ("export", "format", "sheet", "page", "per_page")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Per weekday, for Portuguese says "toda segunda-feira" but "todo sábado".
EVERY_WEEKDAY = {
    0: gettext_lazy("every Monday at %(hour)s"),
    1: gettext_lazy("every Tuesday at %(hour)s"),
    2: gettext_lazy("every Wednesday at %(hour)s"),
    3: gettext_lazy("every Thursday at %(hour)s"),
    4: gettext_lazy("every Friday at %(hour)s"),
    5: gettext_lazy("every Saturday at %(hour)s"),
    6: gettext_lazy("every Sunday at %(hour)s"),
}
FIGURE_KINDS = {MONEY: "money", PERCENT: "percent"}

Frequency, Kind, Outcome, Preset = (ScheduledReport.Frequency, ScheduledReport.Kind, ReportRun.Outcome,
                                    ScheduledReport.Preset)


class ReportRefused(Exception):
    """Why a report cannot be produced, in plain words: a form error, or a failed run's reason."""


# When -----------------------------------------------------------------------------------------

def _runs_on(report: ScheduledReport, day: date) -> bool:
    if report.frequency == Frequency.WEEKLY:
        return day.weekday() == report.weekday
    if report.frequency == Frequency.MONTHLY:
        return day.day == report.day
    return True


def _slot(report: ScheduledReport, day: date) -> datetime:
    return datetime.combine(day, time(report.hour), tzinfo=timezone.get_default_timezone())


def slot_after(report: ScheduledReport, moment: datetime) -> datetime:
    """The report's first slot after `moment`: its hour, São Paulo's, on the next day it runs."""
    day = timezone.localdate(moment, timezone.get_default_timezone())
    while not (_runs_on(report, day) and _slot(report, day) > moment):
        day += timedelta(days=1)
    return _slot(report, day)


def slot_before(report: ScheduledReport, moment: datetime) -> datetime:
    """The report's last slot at or before `moment`: the one whose report is due by then."""
    day = timezone.localdate(moment, timezone.get_default_timezone())
    while not (_runs_on(report, day) and _slot(report, day) <= moment):
        day -= timedelta(days=1)
    return _slot(report, day)


def schedule_words(report: ScheduledReport) -> str:
    """"every Monday at 08:00", in the active language."""
    hour = f"{report.hour:02d}:00"
    if report.frequency == Frequency.WEEKLY:
        return EVERY_WEEKDAY[report.weekday] % {"hour": hour}
    if report.frequency == Frequency.MONTHLY:
        return _("on day %(day)d of every month at %(hour)s") % {"day": report.day, "hour": hour}
    return _("every day at %(hour)s") % {"hour": hour}


def report_period(preset: str, day: date) -> Period:
    """The dashboards' period of a run on `day`: whole days before it (`day` has only begun). This
    month is the month of yesterday: on the 1st, the month just ended."""
    yesterday = day - timedelta(days=1)
    if preset == Preset.YESTERDAY:
        return Period(yesterday, yesterday)
    if preset in (Preset.LAST_7, Preset.LAST_30):
        return Period(day - timedelta(days=int(preset[:-1])), yesterday)
    if preset == Preset.LAST_MONTH:
        return Period(*period_bounds("month", month_before(day)))
    return Period(yesterday.replace(day=1), yesterday)


def where_words(report: ScheduledReport) -> str:
    """The dashboards' filters of a report, as the reader reads them ("Channel: Shopee, UF: SP")."""
    return ", ".join(f"{METRICS.dimension(name).label}: {METRICS.dimension(name).label_of(value)}"
                     for name, value in report.where.items())


# What: a list's own export --------------------------------------------------------------------

@dataclass(frozen=True)
class ListAddress:
    path: str
    query: QueryDict

    def __str__(self):
        return f"{self.path}?{self.query.urlencode()}" if self.query else self.path


def list_address(text: str) -> ListAddress:
    """The path and filters of a list screen's address, typed as a path (/orders/?status=delivered)
    or pasted whole from the browser (settings.SITE_URL's); ReportRefused for any other."""
    text = text.strip()
    parts = urlsplit(text)
    site = urlsplit(settings.SITE_URL)
    if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        raise ReportRefused(_("This is not an address of this back office: give the path of one of its lists, "
                              "as /orders/?status=delivered."))
    path = unquote(parts.path)
    if (not path.startswith("/") or CONTROL.search(text) or CONTROL.search(unquote(text))
            or any(segment in (".", "..") for segment in path.split("/"))):
        raise ReportRefused(_("Give the address of a list as the browser shows it, as /orders/?status=delivered."))
    query = QueryDict(parts.query, mutable=True)
    for name in NOT_FILTERS:
        query.pop(name, None)
    return ListAddress(path, query)


def _list_view(path: str):
    try:
        match = resolve(path)
    except Resolver404:
        raise ReportRefused(_("No page of the back office has this address.")) from None
    # Every page of the back office requires its permissions (backoffice.roles.require); the
    # Django admin, the login and the public pages do not, and are not lists to send.
    if not getattr(match.func, "required_permissions", None):
        raise ReportRefused(_("This page is not a list of the back office."))
    return match


def _request_as(user, match, address: ListAddress) -> HttpRequest:
    """A GET of the address's XLSX by `user`, holding what the back office's middleware gives a
    request and its views read: the session, the messages, `request.htmx` (a full page's)."""
    query = address.query.copy()
    query["export"] = "xlsx"
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = address.path
    request.GET = QueryDict(query.urlencode())
    request.META.update({"REQUEST_METHOD": "GET", "QUERY_STRING": request.GET.urlencode(),
                         "HTTP_HOST": urlsplit(settings.SITE_URL).netloc})
    request.resolver_match = match
    request.user = user
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request._messages = default_storage(request)
    request.htmx = HtmxDetails(request)
    request.LANGUAGE_CODE = settings.LANGUAGE_CODE
    return request


def _too_big() -> ReportRefused:
    return ReportRefused(_("The spreadsheet is larger than %(limit)s, too large to e-mail: narrow the list's "
                           "filters.") % {"limit": filesizeformat(MAX_BYTES)})


def _read(response) -> bytes:
    chunks, size = [], 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        size += len(chunk)
        if size > MAX_BYTES:
            raise _too_big()
        chunks.append(chunk)
    return b"".join(chunks)


def _release(response) -> None:
    """Close the file a response streams (a list's workbook, in a temporary file). Not with
    response.close(): that ends the request (request_finished), closing the database connection."""
    if getattr(response, "file_to_stream", None) is not None:
        response.file_to_stream.close()


def list_export(address: ListAddress, user, *, headers_only: bool = False) -> tuple[bytes, int]:
    """The XLSX that the list's "XLSX" button gives `user` (in the store's language), and the rows of
    its first sheet. `headers_only`: its sheets' headers alone, which tells cheaply that the address
    exports. ReportRefused when it is not a list that exports, `user` may not open it, or it is
    larger than MAX_BYTES."""
    match = _list_view(address.path)
    request = _request_as(user, match, address)
    with translation.override(settings.LANGUAGE_CODE), exports_written(headers_only=headers_only) as written:
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except PermissionDenied:
            raise ReportRefused(_("%(user)s may not open this list.") % {"user": _name(user)}) from None
        except Http404:
            raise ReportRefused(_("This list is not there any more (what it belonged to was deleted).")) from None
        except DatabaseError:
            raise
        except Exception:
            # Another app's view, run here outside a request: its failure is this run's, not the job's.
            logger.exception("the export of %s failed", address)
            raise ReportRefused(_("The list's export stopped with an error; the log holds its details.")) from None
        try:
            if response.status_code != 200 or response.get("Content-Type") != XLSX_TYPE:
                raise ReportRefused(_("This page has no spreadsheet to send: give the address of a list with an "
                                      "“XLSX” button."))
            content = _read(response)
        finally:
            _release(response)
    return content, written.sheets[0][1] if written.sheets else 0


def list_checked(text: str, user) -> str:
    """The cleaned address of the list `text` names, once its page answered `user` with a
    spreadsheet; ReportRefused otherwise."""
    address = list_address(text)
    list_export(address, user, headers_only=True)
    return str(address)


# What: the dashboards' figures ----------------------------------------------------------------

def _kind(metric) -> str:
    return FIGURE_KINDS.get(metric.unit, "text")


def chart_sheet(chart: dashboard.Chart, period: Period, where: dict) -> Sheet:
    """A chart's table (what its download holds), its money as reais and its shares in per cent."""
    header, rows = dashboard.chart_rows(chart, period, where)
    metrics = dashboard.available(chart.metrics)
    title = str(chart.title)[:31]
    if chart.by == dashboard.STEPS:  # a row per metric, each in its own unit
        return Sheet(title=title, header=header,
                     rows=[Row(row, ["text", _kind(metric)]) for row, metric in zip(rows, metrics)])
    kinds = ["text"] + [_kind(metric) for metric in metrics]
    if chart.compare:
        kinds.append(kinds[1])
    return Sheet(title=title, header=header, rows=rows, kinds=kinds)


def _days(period: Period) -> str:
    return f"{formats.date_format(period.start, 'SHORT_DATE_FORMAT')} – " \
           f"{formats.date_format(period.end, 'SHORT_DATE_FORMAT')}"


def figures_sheet(period: Period, where: dict) -> Sheet:
    """Each tile of the dashboards, section by section: its metric, its figure over `period` and over
    the period before (each column headed by its days), and the change."""
    rows = [Row([str(section), str(tile.metric.label), dashboard.rounded(tile.metric, tile.figure),
                 dashboard.rounded(tile.metric, tile.previous), tile.change_shown],
                kinds=["text", "text", _kind(tile.metric), _kind(tile.metric), "text"])
            for section, shown in dashboard.tiles(period, where) for tile in shown]
    return Sheet(title=_("Figures"), header=[_("Section"), _("Metric"), _days(period), _days(period.previous()),
                                              pgettext("against the period before", "Change")], rows=rows)


def dashboard_workbook(report: ScheduledReport, day: date) -> tuple[bytes, int]:
    """The dashboards' figures of a run on `day` as an XLSX (the figures, then a sheet per chart),
    and how many figures."""
    period, where = report_period(report.period, day), report.where
    sheets = [figures_sheet(period, where), *(chart_sheet(chart, period, where) for chart in dashboard.charts(where))]
    with exports_written() as written, xlsx_file(*sheets) as spool:
        content = spool.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise _too_big()
    return content, written.sheets[0][1]


# The run --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attachment:
    content: bytes
    filename: str
    rows: int


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _day(due_at: datetime) -> date:
    return timezone.localdate(due_at, timezone.get_default_timezone())


def report_attachment(report: ScheduledReport, due_at: datetime) -> Attachment:
    """The report's XLSX for its slot `due_at`, produced with its owner's permissions; ReportRefused
    when it cannot be."""
    owner, day = report.created_by, _day(due_at)
    if not owner.is_active:
        raise ReportRefused(_("Its owner, %(user)s, can no longer sign in.") % {"user": _name(owner)})
    if report.kind == Kind.LIST:
        content, rows = list_export(list_address(report.address), owner)
    elif owner.has_perm(DASHBOARD_PERMISSION):
        content, rows = dashboard_workbook(report, day)
    else:
        raise ReportRefused(_("%(user)s may not open the dashboards.") % {"user": _name(owner)})
    return Attachment(content, f"{slugify(report.name) or 'report'}-{day:%Y-%m-%d}.xlsx", rows)


def _message(report: ScheduledReport, due_at: datetime, attachment: Attachment) -> EmailMessage:
    day, site = _day(due_at), settings.SITE_URL.rstrip("/")
    context = {"report": report, "day": day, "schedule": schedule_words(report), "filters": where_words(report),
               "period": report_period(report.period, day) if report.kind == Kind.DASHBOARD else None,
               "list_link": site + report.address, "link": site + reverse("analytics:report_detail", args=[report.pk])}
    subject = render_to_string("analytics/email/report_subject.txt", context).strip()
    message = EmailMessage(subject=subject, body=render_to_string("analytics/email/report.txt", context),
                           to=report.recipients)
    message.attach(attachment.filename, attachment.content, XLSX_TYPE)
    return message


def _refused_for_good(exc: Exception) -> bool:
    """A mail server's answer that trying again will not change: every address refused, or a
    permanent (5xx) refusal of the message (too large, say)."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500)


def _advance(report: ScheduledReport, due_at: datetime) -> None:
    """On to the slot after `due_at`, unless the report is past it already (run by hand ahead of the
    job, or its schedule changed since)."""
    ScheduledReport.objects.filter(pk=report.pk, next_run_at__lte=due_at).update(
        next_run_at=slot_after(report, due_at))


def _record(report, due_at, *, started, error="", attachment=None, message=None) -> tuple[ReportRun, bool]:
    """Record the slot's run — sent (and send `message` before the record commits) or failed — and
    move the report on; nothing when the slot was sent already."""
    try:
        with transaction.atomic():
            run = (ReportRun.objects.select_for_update().filter(report=report, due_at=due_at).first()
                   or ReportRun(report=report, due_at=due_at))
            if run.outcome == Outcome.SENT:
                return run, False
            run.started_at, run.finished_at = started, timezone.now()
            run.outcome, run.error = (Outcome.FAILED, error) if error else (Outcome.SENT, "")
            run.recipients = 0 if error else len(report.recipients)
            run.size, run.rows = (len(attachment.content), attachment.rows) if attachment else (0, 0)
            run.save()
            _advance(report, due_at)
            if message is not None:
                message.send()
    except IntegrityError:  # another worker recorded this slot meanwhile
        return ReportRun.objects.get(report=report, due_at=due_at), False
    return run, True


def report_run(*, report: ScheduledReport, due_at: datetime) -> tuple[ReportRun, bool]:
    """Run `report` for its slot `due_at`, once: produced as its owner, e-mailed with the XLSX
    attached, recorded; or recorded failed with the reason, nothing sent. Either way the report
    moves on to its next slot. The run, and whether this call made it (False: the slot was sent
    already). A mail server that cannot take the message for now raises (OSError) and leaves nothing
    recorded, for the task to retry; one that refuses it for good fails the run."""
    with translation.override(settings.LANGUAGE_CODE):
        sent = report.runs.filter(due_at=due_at, outcome=Outcome.SENT).first()
        if sent is not None:
            _advance(report, due_at)
            return sent, False
        started = timezone.now()
        try:
            attachment = report_attachment(report, due_at)
        except ReportRefused as refused:
            return _record(report, due_at, started=started, error=str(refused))
        try:
            return _record(report, due_at, started=started, attachment=attachment,
                           message=_message(report, due_at, attachment))
        except OSError as exc:
            if not _refused_for_good(exc):
                raise
            return _record(report, due_at, started=started,
                           error=_("The mail server refused the message: %(error)s") % {"error": exc})


def reports_send_due(*, now: datetime | None = None) -> int:
    """Run each active report whose next slot has come, for its latest slot by now (a slot missed
    while the job was stopped is not sent late as well). How many were sent."""
    now = now or timezone.now()
    due = list(ScheduledReport.objects.filter(active=True, next_run_at__lte=now).select_related("created_by")
               .order_by("next_run_at", "pk"))
    sent = 0
    for report in due:
        run, made = report_run(report=report, due_at=slot_before(report, now))
        sent += made and run.outcome == Outcome.SENT
    return sent


# Changes --------------------------------------------------------------------------------------

AUDITED = ("name", "kind", "address", "period", "channel", "uf", "frequency", "weekday", "day", "hour",
           "recipients", "active")


def _audited(report: ScheduledReport) -> dict:
    return {field: ", ".join(report.recipients) if field == "recipients" else getattr(report, field)
            for field in AUDITED}


def report_save(*, report: ScheduledReport, user) -> ScheduledReport:
    """Create `report` (owned by `user`) or change it (as its form cleaned it), its next slot
    computed from now."""
    before = _audited(ScheduledReport.objects.get(pk=report.pk)) if report.pk else {}
    with transaction.atomic():
        if report.pk is None:
            report.created_by = user
        report.next_run_at = slot_after(report, timezone.now())
        report.save()
        audit_record(actor=user, action="scheduled_report.changed" if before else "scheduled_report.created",
                     obj=report, before=before, after=_audited(report))
    return report


def report_delete(*, report: ScheduledReport, user) -> None:
    """Delete `report` and its runs."""
    with transaction.atomic():
        audit_record(actor=user, action="scheduled_report.deleted", obj=report, before=_audited(report),
                     note=str(report))
        report.delete()
