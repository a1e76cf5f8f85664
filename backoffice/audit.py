"""The audit log: who did what to which object."""

from django.contrib.contenttypes.models import ContentType

from .models import AuditEvent


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
