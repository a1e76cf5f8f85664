"""The audit log: who did what to which object, and how its actions and changes read in the
reader's language."""

from collections.abc import Mapping
from functools import cache

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .fields import MoneyField
from .models import AuditEvent
from .money import format_money
from .timeline import EVENTS, choice_label, render

# An action's label, by code (lazy texts, read in the reader's language). A move written by
# backoffice.states needs none (its document and status name it), nor a code of the timeline
# whose message takes no parameters (its message is its label).
ACTIONS: dict[str, str] = {}


def audit_actions(labels: Mapping[str, str]) -> None:
    """Declare the labels of an app's audit actions (next to its timeline events)."""
    clash = set(labels) & set(ACTIONS)
    if clash:
        raise ValueError(f"audit action codes declared twice: {sorted(clash)}")
    ACTIONS.update(labels)


def person(actor):
    """`actor` when it is a signed-in user; None for the system (a task, a webhook, an anonymous request)."""
    return actor if actor is not None and actor.is_authenticated else None


def audit_record(
    *, actor, action: str, obj=None, before: dict | None = None, after: dict | None = None,
    note: str = "", ip_address: str | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` to `obj`; fields whose value differs between
    `before` and `after` are kept as {"field": [old, new]}."""
    before, after = before or {}, after or {}
    changes = {
        field: [before.get(field), after.get(field)]
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }
    return AuditEvent.objects.create(
        actor=person(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes,
        note=note,
        ip_address=ip_address,
    )


@cache
def _moves() -> dict[str, tuple]:
    """Every move backoffice.states can write, by its code: {"order.paid": (Order, "paid")}."""
    return {f"{model._meta.model_name}.{status}": (model, status)
            for model in apps.get_models() if hasattr(model, "states")
            for status in sorted(set().union(*model.states.transitions.values()))}


@cache
def _shared() -> frozenset[str]:
    """The codes of a document's timeline that the log may share ("order.received"): those whose
    message takes no parameters, so that it names the action alone."""
    documents = {code.split(".")[0] for code in _moves()}
    return frozenset(code for code, message in EVENTS.items()
                     if code.count(".") == 1 and code.split(".")[0] in documents
                     and not callable(message) and "%(" not in str(message))


def action_label(action: str) -> str:
    """An audit action in the active language (its code, when nothing declares it)."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action in _moves():
        model, status = _moves()[action]
        return gettext("%(document)s → %(status)s") % {
            "document": capfirst(model._meta.verbose_name), "status": choice_label(model, model.states.field, status)}
    if action in _shared():
        return render(action)
    return action


def action_choices() -> list[tuple[str, str]]:
    """Every action the log knows, with its label, in the order of the labels (the audit list's filter)."""
    codes = set(ACTIONS) | set(_moves()) | _shared()
    return sorted(((code, action_label(code)) for code in codes), key=lambda choice: choice[1].casefold())


def note_shown(event: AuditEvent) -> str:
    """The event's note; the Django admin's, kept as the admin keeps its change messages, in the
    reader's language."""
    if event.action.startswith("admin."):
        return LogEntry(change_message=event.note).get_change_message()
    return event.note


def changes_shown(event: AuditEvent) -> dict:
    """The event's changes as the reader reads them: each field by its name, each value of a
    field with choices by its label, yes/no for a flag."""
    model = event.content_type.model_class() if event.content_type_id else None
    return dict(_change(model, field, pair) for field, pair in event.changes.items())


def _change(model, name: str, pair: list) -> tuple[str, list]:
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    if field is None or not hasattr(field, "verbose_name"):
        return name, pair
    return str(field.verbose_name), [_value(model, field, value) for value in pair]


def _value(model, field, value):
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if value is None:
        return value
    if field.choices:
        return choice_label(model, field.name, value)
    if isinstance(field, MoneyField):
        return format_money(value) or value
    return value


audit_actions({
    "user.login": _("Signed in"),
    "user.login_failed": _("Sign-in refused"),
    "user.locked_out": _("Sign-in locked out"),
    "user.password_change": _("Password changed"),
    "admin.add": _("Added in the Django admin"),
    "admin.change": _("Changed in the Django admin"),
    "admin.delete": _("Deleted in the Django admin"),
    "job.run_now": _("Job run by hand"),
    "import.upload": _("Spreadsheet sent"),
    "api_token.create": _("API token created"),
})
