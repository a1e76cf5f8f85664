"""The state-machine and timeline kit (backoffice.states), on the platform's own stateful
document, the import: refused moves, repeated moves, concurrent moves, and events that
keep a code and its parameters and are read in the reader's language."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import translation

from backoffice.models import AuditEvent, ImportFile, TimelineEvent
from backoffice.states import TransitionRefused, events_of, record, transition
from backoffice.timeline import render
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(role_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ImportFile.objects.create(kind="inventory.catalog", file=ContentFile(b"sku\n", name="f.csv"),
                                     original_name="f.csv", uploaded_by=role_user("staff", username="ana"))


def test_a_move_updates_the_row_and_writes_one_event_and_one_audit_line(waiting, role_user):
    admin = role_user("admin", username="bia")
    assert transition(waiting, ImportFile.Status.DONE, actor=admin, params={"applied": 3, "total": 3},
                      changes={"rows_applied": 3, "rows_total": 3}) is True
    waiting.refresh_from_db()
    assert (waiting.status, waiting.rows_applied, waiting.rows_total) == ("done", 3, 3)
    [event] = events_of(waiting)
    assert (event.code, event.from_status, event.to_status, event.actor.username) == (
        "importfile.done", "pending", "done", "bia")
    assert event.params == {"applied": 3, "total": 3}  # a code and its parameters, no text
    [audit] = AuditEvent.objects.filter(object_id=str(waiting.pk), action="importfile.done")
    assert audit.changes == {"status": ["pending", "done"]} and audit.actor.username == "bia"


def test_a_move_the_machine_does_not_allow_is_refused_and_changes_nothing(waiting):
    transition(waiting, ImportFile.Status.FAILED)
    with translation.override("pt-br"), pytest.raises(TransitionRefused, match="não pode passar de “falhou” para"):
        transition(waiting, ImportFile.Status.DONE, changes={"rows_applied": 9})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.rows_applied) == ("failed", 0)
    assert events_of(waiting).count() == 1


def test_a_repeated_move_changes_nothing_even_from_a_stale_copy(waiting):
    stale = ImportFile.objects.get(pk=waiting.pk)
    assert transition(waiting, ImportFile.Status.REJECTED, changes={"rows_total": 2}) is True
    assert transition(waiting, ImportFile.Status.REJECTED, changes={"rows_total": 5}) is False
    assert transition(stale, ImportFile.Status.REJECTED, changes={"rows_total": 7}) is False  # read before the move
    assert stale.status == "rejected"
    waiting.refresh_from_db()
    assert waiting.rows_total == 2 and events_of(waiting).count() == 1


def test_a_move_decided_on_a_stale_copy_to_elsewhere_is_refused(waiting):
    stale = ImportFile.objects.get(pk=waiting.pk)
    transition(waiting, ImportFile.Status.DONE)
    with pytest.raises(TransitionRefused):
        transition(stale, ImportFile.Status.FAILED)
    assert ImportFile.objects.get(pk=waiting.pk).status == "done" and stale.status == "done"


def test_events_are_read_in_the_readers_language(waiting):
    transition(waiting, ImportFile.Status.DONE, params={"applied": 2, "total": 3})
    [event] = events_of(waiting)
    with translation.override("en"):
        assert (event.text, event.from_label, event.to_label) == ("2 of 3 rows applied.", "waiting", "imported")
    with translation.override("pt-br"):
        assert (event.text, event.from_label, event.to_label) == ("2 de 3 linhas aplicadas.", "aguardando",
                                                                  "importado")


def test_a_parameter_that_is_a_code_is_rendered_too_and_an_unknown_code_reads_as_itself(waiting):
    reasons = [{"code": "importfile.failed"}, {"code": "importfile.done", "params": {"applied": 1, "total": 1}}]
    with translation.override("en"):
        assert render("importfile.rejected") == "Refused: the report says what to fix."
        assert render("no.such.code", {"x": reasons}) == "no.such.code"
    event = record(waiting, "importfile.failed", {"why": reasons})
    assert TimelineEvent.objects.get(pk=event.pk).params["why"][1] == {"code": "importfile.done",
                                                                        "params": {"applied": 1, "total": 1}}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_concurrent_moves_from_the_same_status_one_wins(waiting):
    targets = [ImportFile.Status.DONE, ImportFile.Status.FAILED] * 4

    def move(n):
        copy = ImportFile.objects.get(pk=waiting.pk)
        return transition(copy, targets[n])

    results = at_once(move, len(targets))
    assert connection.vendor == "postgresql"
    assert results.count(True) == 1, results
    winner = ImportFile.objects.get(pk=waiting.pk).status
    # The others were a repeat of the winner's move (nothing done) or refused.
    assert all(result is False if targets[n] == winner else isinstance(result, TransitionRefused)
               for n, result in enumerate(results) if result is not True)
    assert events_of(waiting).count() == 1
