"""State machines and timelines, for every stateful document (orders, payments, imports, and
later NF-e, shipments, returns, conversations).

A model declares its machine once, as a class attribute (backoffice.timeline holds what
models declare)::

    class Shipment(models.Model):
        class Status(models.TextChoices): ...
        status = models.CharField(max_length=20, choices=Status.choices)
        states = StateMachine({Status.CREATED: {Status.SENT}, Status.SENT: {Status.DELIVERED}})

and its events' messages once, by code, in its app's models module::

    timeline_events({"shipment.sent": _("Handed to %(carrier)s.")})

`transition(document, to)` moves it with a conditional `UPDATE … WHERE status = <old>`:
safe to repeat (a document already there is left as it is), safe under concurrency (of two
moves from the same status, one wins and the other is refused), and it refuses any move the
map does not allow. Each move writes one `TimelineEvent` and its line in the audit log — the
only place either is written for a move; `record()` writes an event for what is not a move
(a note, a payment received). An event keeps a code and its parameters, never text:
`TimelineEvent.text` renders it in the reader's language, when it is read.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record, person
from .models import TimelineEvent
from .timeline import StateMachine, choice_label


class TransitionRefused(Exception):
    """A move the document's machine does not allow from where it is; the message is meant
    for the user."""


def transition(document: models.Model, to: str, *, actor=None, code: str = "", params: dict | None = None,
               changes: dict | None = None) -> bool:
    """Move `document` to `to` (also writing `changes`, other fields of the same row) and
    record it; False, and nothing written, when it already is there. TransitionRefused when
    its machine does not allow the move from the status in the database."""
    model = type(document)
    machine: StateMachine = model.states
    field = machine.field
    to = str(to)
    source = str(getattr(document, field))
    if source == to:
        return False
    if not machine.allows(source, to):
        raise TransitionRefused(_("“%(document)s” cannot go from “%(from)s” to “%(to)s”.") % {
            "document": document, "from": choice_label(model, field, source), "to": choice_label(model, field, to)})
    values = {field: to, **(changes or {})}
    values.update({f.name: timezone.now() for f in model._meta.concrete_fields if getattr(f, "auto_now", False)})
    with transaction.atomic():  # the move, its event and its audit line, or none of them
        moved = model._default_manager.filter(pk=document.pk, **{field: source}).update(**values)
        if moved:
            code = code or f"{model._meta.model_name}.{to}"
            record(document, code, params, actor=actor, from_status=source, to_status=to)
            audit_record(actor=actor, action=code, obj=document, before={field: source}, after={field: to})
    if not moved:  # someone else moved it first: the move was decided on what is no longer so
        current = model._default_manager.filter(pk=document.pk).values_list(field, flat=True).first()
        if current is None:
            raise model.DoesNotExist
        setattr(document, field, current)
        if current == to:
            return False
        raise TransitionRefused(_("“%(document)s” has just become “%(now)s”; look at it again.") % {
            "document": document, "now": choice_label(model, field, current)})
    for name, value in values.items():
        setattr(document, name, value)
    return True


def record(document: models.Model, code: str, params: dict | None = None, *, actor=None,
           from_status: str = "", to_status: str = "") -> TimelineEvent:
    """One event on the document's timeline (a move is recorded by `transition`)."""
    return TimelineEvent.objects.create(
        content_type=ContentType.objects.get_for_model(document), object_id=document.pk, actor=person(actor),
        code=code, params=params or {}, from_status=from_status, to_status=to_status,
    )


def events_of(document: models.Model):
    """The document's events, oldest first, with their users."""
    return (TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(document),
                                         object_id=document.pk)
            .select_related("actor", "content_type").order_by("created_at", "pk"))
