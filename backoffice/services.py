"""Platform state changes: running jobs on demand, spreadsheet imports."""

import json
import logging

from celery.exceptions import SoftTimeLimitExceeded
from celery.utils import uuid
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnreachable

from .audit import audit_record
from .celery import app as celery_app
from .imports import IMPORTERS, RowError, TableError, read_table
from .jobs import RUN_NOW_HEADER, job_run_queued
from .models import ImportFile
from .queueing import WAITING_TOO_LONG, catch_up, send_after_commit
from .states import transition
from .text import storable

logger = logging.getLogger(__name__)


class JobNotQueued(Exception):
    """The broker could not take the job; the message is meant for the user."""


def job_run_now(*, job, actor) -> str:
    """Queue a periodic job's task at once, with the options beat would use; returns the
    task id. The audit row and the queued run (jobs.job_run_queued) are kept only if the broker
    took the message; the run is counted when it finishes (jobs.job_run_finished)."""
    options = {
        "queue": job.queue or None,
        "exchange": job.exchange or None,
        "routing_key": job.routing_key or None,
        "priority": job.priority,
        "expires": job.expires,
    }
    task_id = uuid()
    with transaction.atomic():
        audit_record(actor=actor, action="job.run_now", obj=job)
        job_run_queued(job=job, task_id=task_id)
        try:
            result = celery_app.send_task(
                job.task,
                args=json.loads(job.args or "[]"),
                kwargs=json.loads(job.kwargs or "{}"),
                headers={**json.loads(job.headers or "{}"), "periodic_task_name": job.name, RUN_NOW_HEADER: True},
                task_id=task_id,
                **{name: value for name, value in options.items() if value is not None},
            )
        except BrokerUnreachable as exc:
            raise JobNotQueued(_("The job could not be queued: the broker is unreachable (%(error)s).") % {
                "error": exc}) from exc
    return result.id


def import_upload(*, importer, uploaded_file, user) -> ImportFile:
    """Keep the uploaded file, then have a worker process it (after commit)."""
    with transaction.atomic():
        record = ImportFile.objects.create(
            kind=importer.kind, file=uploaded_file, original_name=uploaded_file.name[:200], uploaded_by=user,
            language=translation.get_language() or "",
        )
        audit_record(actor=user, action="import.upload", obj=record)
        send_after_commit("backoffice.tasks.import_process_task", record.pk)
    return record


def import_process(*, import_id: int) -> ImportFile:
    """Validate every row of a waiting import; apply all of them in one transaction, or none.
    Whatever goes wrong ends the import rejected or failed with its reason, never waiting
    (but a database briefly away is raised, for the task to retry). Safe to repeat: a
    finished import is left as it is. The report is written in its uploader's language."""
    with _uploaders_language(import_id):
        try:
            return _import_run(import_id)
        except (OperationalError, InterfaceError):
            raise
        except SoftTimeLimitExceeded:
            logger.warning("Import %s stopped at the time limit", import_id)
            return import_fail(import_id=import_id, message=_("processing took longer than the time limit; the file "
                                                              "was kept for the team."))
        except Exception as exc:
            # A bug must not leave the import waiting forever: it fails, kept, and logged.
            logger.exception("Import %s failed", import_id)
            return import_fail(import_id=import_id, message=_("unexpected error (%(error)s); the file was kept for "
                                                              "the team.") % {"error": type(exc).__name__})


def _uploaders_language(import_id: int):
    """The language the import's report is written in: its uploader's when sending (the store's
    for an import sent before imports kept it)."""
    language = ImportFile.objects.filter(pk=import_id).values_list("language", flat=True).first()
    return translation.override(language or settings.LANGUAGE_CODE)


def _import_run(import_id):
    with transaction.atomic():
        record = ImportFile.objects.select_for_update().get(pk=import_id)
        if record.status != ImportFile.Status.PENDING:
            return record
        importer = IMPORTERS[record.kind]
        try:
            with record.file.open("rb") as handle:
                rows = read_table(handle, record.original_name, importer)
        except TableError as exc:
            return _import_finish(record, ImportFile.Status.REJECTED, [{"row": None, "errors": [str(exc)]}])
        record.rows_total = len(rows)
        importer.clean_rows(rows)
        bad = [{"row": row.number, "errors": row.errors} for row in rows if row.errors]
        if bad:
            return _import_finish(record, ImportFile.Status.REJECTED, bad)
        reference = f"import:{record.pk}"
        try:
            with transaction.atomic():
                for row in rows:
                    try:
                        importer.apply_row(row, user=record.uploaded_by, reference=reference)
                    except RowError as exc:
                        raise _RowRefused(row.number, str(exc)) from exc
                    except Exception as exc:
                        logger.exception("Import %s failed at row %s", record.pk, row.number)
                        raise _RowRefused(row.number, _("unexpected error (%(error)s); the file was kept for the team.")
                                          % {"error": type(exc).__name__}) from exc
                importer.finish(rows, user=record.uploaded_by, reference=reference)
        except _RowRefused as refused:
            return _import_finish(record, ImportFile.Status.REJECTED,
                                  [{"row": refused.row, "errors": [refused.message]}])
        record.rows_applied = len(rows)
        return _import_finish(record, ImportFile.Status.DONE, [])


def import_fail(*, import_id: int, message: str) -> ImportFile:
    """End a waiting import as failed with `message` (not the file's content: a bug, the time
    limit, a worker it stopped); a finished one is left as it is."""
    with transaction.atomic():
        record = ImportFile.objects.select_for_update().get(pk=import_id)
        if record.status != ImportFile.Status.PENDING:
            return record
        return _import_finish(record, ImportFile.Status.FAILED, [{"row": None, "errors": [message]}])


def import_stopped_the_worker(*, import_id: int, starts: int) -> ImportFile:
    """The poison-task guard's verdict on an import whose processing never finished."""
    with _uploaders_language(import_id):
        return import_fail(import_id=import_id, message=_("processing stopped the worker %(count)d times; the file "
                                                          "was kept for the team.") % {"count": starts})


class _RowRefused(Exception):
    def __init__(self, row, message):
        self.row, self.message = row, message


# The report is bounded: the first rows' errors are enough to fix a file.
REPORT_MAX_ROWS = 1000
REPORT_MAX_ERRORS = 20
REPORT_MAX_TEXT = 500


def _saveable(report):
    """The report as the database can keep it: bounded, no NUL, no half surrogate pair."""
    kept = [{"row": item["row"],
             "errors": [storable(str(error), REPORT_MAX_TEXT) for error in item["errors"][:REPORT_MAX_ERRORS]]}
            for item in report[:REPORT_MAX_ROWS]]
    if len(report) > REPORT_MAX_ROWS:
        kept.append({"row": None, "errors": [_("… and %(count)d more rows with errors.") % {
            "count": len(report) - REPORT_MAX_ROWS}]})
    return kept


def _import_finish(record, status, report):
    transition(record, status, params={"applied": record.rows_applied, "total": record.rows_total},
               changes={"report": _saveable(report), "finished_at": timezone.now(),
                        "rows_total": record.rows_total, "rows_applied": record.rows_applied})
    return record


def import_delivery_key(import_id: int) -> str:
    """The poison-task guard's count of an import: one, whether its own task or the catch-up
    job runs it."""
    return f"import:{import_id}"


def imports_catch_up(*, limit: int = 20) -> int:
    """Process the uploads left waiting (stored while the broker was down); how many. Each
    through its task's poison-task guard, under the import's own count; one that fails is
    logged and the next one is processed."""
    waiting = ImportFile.objects.filter(status=ImportFile.Status.PENDING,
                                        created_at__lt=timezone.now() - WAITING_TOO_LONG)
    return catch_up(list(waiting.order_by("pk").values_list("pk", flat=True)[:limit]), name="imports_catch_up",
                    key=import_delivery_key, process=lambda pk: import_process(import_id=pk),
                    poisoned=lambda pk, starts: import_stopped_the_worker(import_id=pk, starts=starts))
