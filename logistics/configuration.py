"""The writes of the carriers' settings screens and of the freight-table import: carriers (and
their API credentials, audited by name, never by value), their services, the boxes and the
freight tables' rows, each audited. Forms (and the importer) have checked the values."""

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from backoffice.audit import audit_record

from .models import Box, Carrier, CarrierService, FreightRate

CARRIER_FIELDS = ["code", "name", "kind", "provider", "cubic_factor", "tracking_url", "active"]
SERVICE_FIELDS = ["carrier", "code", "name", "days", "handling_days", "max_weight_kg", "active"]
BOX_FIELDS = ["name", "length_cm", "width_cm", "height_cm", "weight_kg", "active"]



def _save(obj, fields, user):
    """Create or change `obj` with what its form took, audited with the fields that changed."""
    model = type(obj)
    with transaction.atomic():
        stored = model.objects.select_for_update().get(pk=obj.pk) if obj.pk else None
        obj.save()
        audit_record(actor=user, action=f"{model._meta.model_name}.{'update' if stored else 'create'}", obj=obj,
                     before=model_to_dict(stored, fields=fields) if stored else {},
                     after=model_to_dict(obj, fields=fields))
    return obj


def _set_active(obj, active: bool, user):
    """Switch `obj` on or off (nothing is deleted: parcels name their carrier, service and box)."""
    model = type(obj)
    with transaction.atomic():
        if model.objects.filter(pk=obj.pk, active=not active).update(active=active):
            audit_record(actor=user, action=f"{model._meta.model_name}.{'activate' if active else 'deactivate'}",
                         obj=obj, before={"active": not active}, after={"active": active})
        obj.refresh_from_db()
    return obj


def carrier_save(*, carrier: Carrier, user) -> Carrier:
    """Create or change a carrier. Its credentials are another integration's once its integration
    changes: they are dropped then (its own credentials form asks for the new ones)."""
    with transaction.atomic():
        if carrier.pk:
            stored = Carrier.objects.select_for_update().get(pk=carrier.pk)
            carrier.credentials = stored.credentials if stored.provider == carrier.provider else {}
        return _save(carrier, CARRIER_FIELDS, user)


def carrier_set_active(*, carrier: Carrier, active: bool, user) -> Carrier:
    """Switch a carrier off (its services are no longer quoted; its parcels on their way go on) or on."""
    return _set_active(carrier, active, user)


def carrier_credentials_save(*, carrier: Carrier, user) -> Carrier:
    """Keep the credentials its form took (encrypted at rest); the audit names the values that
    changed, never what they are."""
    with transaction.atomic():
        stored = Carrier.objects.select_for_update().get(pk=carrier.pk).credentials or {}
        values = carrier.credentials or {}
        changed = sorted(name for name in set(stored) | set(values) if stored.get(name) != values.get(name))
        Carrier.objects.filter(pk=carrier.pk).update(credentials=values)
        if changed:
            audit_record(actor=user, action="carrier.credentials", obj=carrier,
                         note=_("Changed: %(names)s.") % {"names": ", ".join(changed)})
    return carrier


def service_save(*, service: CarrierService, user) -> CarrierService:
    """Create or change one of a carrier's services: its code, name and promise."""
    return _save(service, SERVICE_FIELDS, user)


def box_save(*, box: Box, user) -> Box:
    """Create or change a box: its outer size and its own weight."""
    return _save(box, BOX_FIELDS, user)


def box_set_active(*, box: Box, active: bool, user) -> Box:
    """Switch a box off (no longer chosen for new parcels; those packed in it keep it) or on."""
    return _set_active(box, active, user)


def freight_rate_put(*, service_id: int, cep_start: str, cep_end: str, weight_up_to_kg, price, days: int) -> bool:
    """A row of a service's freight table: its range's band set to `price` and `days`, replacing
    the row of the same range and band. Whether it was added (True) or replaced (False); the
    import audits each table once (`freight_table_imported`)."""
    _rate, added = FreightRate.objects.update_or_create(
        service_id=service_id, cep_start=cep_start, cep_end=cep_end, weight_up_to_kg=weight_up_to_kg,
        defaults={"price": price, "days": days})
    return added


def freight_table_imported(*, service: CarrierService, added: int, replaced: int, user, reference: str) -> None:
    """Record that an import added and replaced rows of `service`'s table."""
    audit_record(actor=user, action="carrierservice.rates_imported", obj=service,
                 note=_("Rows added: %(added)d; replaced: %(replaced)d (%(reference)s).") % {
                     "added": added, "replaced": replaced, "reference": reference})


def freight_table_delete(*, service: CarrierService, user) -> int:
    """Delete every row of `service`'s table (a new one is imported after); how many there were.
    Parcels packed keep the price and date they were given."""
    with transaction.atomic():
        deleted, _by_model = FreightRate.objects.filter(service=service).delete()
        if deleted:
            audit_record(actor=user, action="carrierservice.rates_deleted", obj=service,
                         note=_("Rows deleted: %(count)d.") % {"count": deleted})
    return deleted
