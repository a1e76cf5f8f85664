"""From an order ready to ship to its customer's door: a parcel started, each unit scanned into it,
packed (box, weight, the service's price and promise), shipped (the carrier's label and tracking code
when it has an API, ours otherwise; the order shipped when its last parcel leaves, its stock consumed),
and followed (the carriers' events, by notification or by the tracking check, recorded once; the order
delivered when its last parcel arrives). Every move goes through backoffice.states."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.integrations.errors import ProviderError
from backoffice.money import format_number
from backoffice.queueing import send_after_commit
from backoffice.states import record, transition
from orders.models import Order, Status
from orders.services import order_deliver, order_ship

from . import providers
from .models import Box, CarrierService, Shipment, ShipmentItem, TrackingEvent, TrackingStatus
from .quotes import Parcel, service_option
from .selectors import order_invoice_of

# The parcels still at the carrier's, followed by the tracking check.
OPEN = (Shipment.Status.SHIPPED,)
# How long the tracking check waits before looking at a parcel again: at first, and at most while
# nothing moves (the wait doubles each time the carrier reports nothing new).
POLL_FIRST, POLL_LONGEST = timedelta(hours=1), timedelta(hours=24)
# The orders a parcel is packed from: released for shipping, invoiced or not yet.
PACKABLE = (Status.READY_TO_SHIP, Status.INVOICED)
# Our own tracking codes (own fleet, pickup, carriers without an API whose code is not typed).
OWN_CODE = "LB{pk:09d}BR"


class ShippingError(Exception):
    """What the user asked for cannot be done; the message says why, in the user's language."""


def _locked(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_for_update().select_related("service__carrier", "order").get(pk=shipment.pk)


def _unpacked(order: Order) -> dict[int, int]:
    """Units of each of `order`'s items (by id) not yet in a parcel (a cancelled one gives them back)."""
    remaining = {item.pk: item.quantity for item in order.items.all()}
    for item in ShipmentItem.objects.filter(shipment__order=order).exclude(
            shipment__status=Shipment.Status.CANCELLED):
        remaining[item.order_item_id] -= item.quantity
    return {pk: quantity for pk, quantity in remaining.items() if quantity > 0}


def shipment_start(*, order: Order, service: CarrierService, user, box: Box | None = None) -> Shipment:
    """A parcel of `order` with every unit not yet in another one, to be scanned in."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in PACKABLE:
            raise ShippingError(_("Order %(order)s is “%(status)s”: only orders released for shipping are packed.")
                                % {"order": order, "status": order.get_status_display()})
        remaining = _unpacked(order)
        if not remaining:
            raise ShippingError(_("Every item of order %(order)s is in a parcel already.") % {"order": order})
        shipment = Shipment.objects.create(order=order, service=service, box=box, created_by=user)
        ShipmentItem.objects.bulk_create([ShipmentItem(shipment=shipment, order_item_id=pk, quantity=quantity)
                                          for pk, quantity in remaining.items()])
        record(shipment, "shipment.packing", actor=user, to_status=Shipment.Status.PACKING)
    return shipment


def shipment_scan(*, shipment: Shipment, code: str, user, quantity: int = 1) -> ShipmentItem:
    """One unit (or `quantity`) of the item whose SKU or GTIN is `code` scanned into the parcel.
    ShippingError when no item of the parcel has that code, or all its units are in already."""
    code = (code or "").strip()
    if not code:
        raise ShippingError(_("Scan or type a SKU or GTIN."))
    with transaction.atomic():
        shipment = _locked(shipment)
        if shipment.status != Shipment.Status.PACKING:
            raise ShippingError(_("Parcel %(parcel)s is “%(status)s”: reopen it to scan again.")
                                % {"parcel": shipment, "status": shipment.get_status_display()})
        items = list(shipment.items.select_for_update().select_related("order_item__product")
                     .filter(Q(order_item__product__sku__iexact=code) | Q(order_item__sku__iexact=code)
                             | Q(order_item__product__gtin=code)))
        if not items:
            raise ShippingError(_("“%(code)s” is not an item of this order: check the product.") % {"code": code})
        item = next((item for item in items if item.packed < item.quantity), None)
        if item is None or item.packed + quantity > item.quantity:
            raise ShippingError(_("Every unit of %(sku)s is in the parcel already.") % {"sku": items[0].order_item.sku})
        item.packed += quantity
        item.save(update_fields=["packed"])
    return item


def shipment_reopen(*, shipment: Shipment, user) -> Shipment:
    """A packed parcel opened again (its units to scan again), before it ships."""
    with transaction.atomic():
        shipment = _locked(shipment)
        transition(shipment, Shipment.Status.PACKING, actor=user)
        shipment.items.update(packed=0)
    return shipment


def shipment_pack(*, shipment: Shipment, user, weight_kg: Decimal, box: Box | None = None,
                  length_cm: Decimal | None = None, width_cm: Decimal | None = None,
                  height_cm: Decimal | None = None) -> Shipment:
    """The parcel closed: every unit scanned, weighed, its size (the box's, or measured), its cost
    and promised date from its service's table."""
    with transaction.atomic():
        shipment = _locked(shipment)
        missing = [item for item in shipment.items.select_related("order_item") if item.packed < item.quantity]
        if missing:
            raise ShippingError(_("Still to scan: %(items)s.") % {"items": ", ".join(
                f"{item.quantity - item.packed} × {item.order_item.sku}" for item in missing)})
        box = box or shipment.box
        sizes = [length_cm, width_cm, height_cm]
        if box is not None and not all(sizes):
            sizes = [box.length_cm, box.width_cm, box.height_cm]
        if not all(size and size > 0 for size in sizes):
            raise ShippingError(_("Choose a box or give the parcel's length, width and height."))
        if not weight_kg or weight_kg <= 0:
            raise ShippingError(_("Weigh the parcel: its weight is needed for the carrier."))
        parcel = Parcel(weight_kg=weight_kg, length_cm=sizes[0], width_cm=sizes[1], height_cm=sizes[2])
        option = service_option(shipment.service, cep=shipment.order.ship_cep, parcel=parcel)
        if option is None:
            raise ShippingError(_("%(service)s does not take this parcel to CEP %(cep)s (%(weight)s kg): choose "
                                  "another service.") % {"service": shipment.service, "cep": shipment.order.ship_cep,
                                                         "weight": format_number(weight_kg, 3)})
        transition(shipment, Shipment.Status.PACKED, actor=user, params={"weight": str(weight_kg)}, changes={
            "box": box, "weight_kg": weight_kg, "length_cm": sizes[0], "width_cm": sizes[1], "height_cm": sizes[2],
            "cost": option.price, "promised_on": option.promised_on})
    return shipment


def _party(name, document, *, phone="", email="", cep, street, number, complement, district, city, uf) -> dict:
    return {"name": name, "document": document, "phone": phone, "email": email, "cep": cep, "street": street,
            "number": number, "complement": complement, "district": district, "city": city, "uf": uf}


def _parcel_for_carrier(shipment: Shipment, invoice) -> providers.Parcel:
    """What the carrier's API needs to take `shipment`: the store (the fiscal profile's name and
    address), the recipient (the order's shipping address), the parcel and its NF-e."""
    from fiscal.models import FiscalProfile

    profile, order = FiscalProfile.objects.select_related("city").get(pk=1), shipment.order
    customer = order.customer
    sender = _party(profile.legal_name, profile.cnpj, phone=profile.phone, cep=profile.cep,
                    street=profile.street, number=profile.number, complement=profile.complement,
                    district=profile.district, city=profile.city.name, uf=profile.city.uf)
    recipient = _party(order.ship_recipient, customer.document, phone=customer.phone, email=customer.email,
                       cep=order.ship_cep, street=order.ship_street, number=order.ship_number,
                       complement=order.ship_complement, district=order.ship_district, city=order.ship_city_name,
                       uf=order.ship_uf)
    items = [{"name": item.order_item.name, "quantity": item.quantity, "unit_value": item.order_item.unit_price}
             for item in shipment.items.select_related("order_item")]
    return providers.Parcel(
        reference=str(shipment.pk), service_code=shipment.service.code, sender=sender, recipient=recipient,
        weight_kg=shipment.weight_kg, length_cm=shipment.length_cm, width_cm=shipment.width_cm,
        height_cm=shipment.height_cm, declared_value=order.items_total - order.discount_total,
        invoice_key=invoice.key if invoice else "", invoice_number=str(invoice.number) if invoice else "",
        items=items)


def shipment_ship(*, shipment: Shipment, user, tracking_code: str = "") -> Shipment:
    """The packed parcel handed to its carrier, with its NF-e: the label and the tracking code are
    the carrier's when its API makes them, `tracking_code` (typed from the carrier's own system) or
    ours otherwise. The order ships with its last parcel (its reserved stock consumed) and its
    customer is e-mailed the tracking. ShippingError when the order has no authorized NF-e, or the
    carrier refuses the parcel (nothing changes then)."""
    tracking_code = "".join((tracking_code or "").split()).upper()
    shipment = Shipment.objects.select_related("service__carrier", "order").get(pk=shipment.pk)
    if shipment.status != Shipment.Status.PACKED:
        raise ShippingError(_("Parcel %(parcel)s is “%(status)s”: pack it first.")
                            % {"parcel": shipment, "status": shipment.get_status_display()})
    order = shipment.order
    if order.status != Status.INVOICED:
        raise ShippingError(_("Order %(order)s has no authorized NF-e yet: issue it before the parcel leaves.")
                            % {"order": order})
    carrier = shipment.carrier
    changes = {"shipped_at": timezone.now(), "tracking_status": TrackingStatus.POSTED}
    if carrier.provider:
        try:
            label = providers.provider(carrier.provider).label(carrier, _parcel_for_carrier(
                shipment, order_invoice_of(order)))
        except ProviderError as exc:
            raise ShippingError(_("%(carrier)s refused the parcel: %(error)s") % {
                "carrier": carrier, "error": exc}) from exc
        changes.update(tracking_code=label.tracking_code, carrier_reference=label.carrier_reference,
                       carrier_label=label.pdf, next_poll_at=timezone.now() + POLL_FIRST)
        if label.cost is not None:
            changes["cost"] = label.cost
    else:
        changes["tracking_code"] = tracking_code or OWN_CODE.format(pk=shipment.pk)
    with transaction.atomic():
        shipment = _locked(shipment)
        transition(shipment, Shipment.Status.SHIPPED, actor=user,
                   params={"carrier": carrier.name, "code": changes["tracking_code"]}, changes=changes)
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Status.INVOICED and not order.shipments.filter(
                status__in=(Shipment.Status.PACKING, Shipment.Status.PACKED)).exists() and not _unpacked(order):
            order_ship(order=order, user=user, note=_("%(carrier)s – tracking %(code)s") % {
                "carrier": carrier.name, "code": changes["tracking_code"]})
            send_after_commit("logistics.tasks.email_tracking", order.pk)
    return shipment


def shipment_cancel(*, shipment: Shipment, user) -> Shipment:
    """A parcel not shipped given up: its units can go into another one."""
    with transaction.atomic():
        shipment = _locked(shipment)
        transition(shipment, Shipment.Status.CANCELLED, actor=user)
    return shipment


def tracking_record(*, shipment: Shipment, events: list[providers.ReportedEvent], source: str) -> int:
    """The carrier's `events` for `shipment` kept, each once (a repeated one changes nothing); the
    parcel's tracking status is its newest event's, and a delivery (or a return to the sender) ends
    it — the order is delivered with its last parcel. How many events were new."""
    new = 0
    for event in events:
        try:
            with transaction.atomic():
                TrackingEvent.objects.create(
                    shipment=shipment, occurred_at=event.occurred_at, code=event.code[:20], kind=event.kind[:20],
                    status=event.status, description=event.description[:300], place=event.place[:200],
                    source=source, raw=event.raw)
        except IntegrityError:  # reported before
            continue
        new += 1
    if new:
        _follow(shipment)
    return new


def _follow(shipment: Shipment) -> None:
    """The parcel's state from its newest event: delivered or returned ends it."""
    with transaction.atomic():
        shipment = _locked(shipment)
        newest = shipment.tracking_events.order_by("-occurred_at", "-pk").first()
        changes = {"tracking_status": newest.status, "last_event_at": newest.occurred_at}
        if shipment.status not in OPEN:
            Shipment.objects.filter(pk=shipment.pk).update(**changes)
            return
        if newest.status == TrackingStatus.DELIVERED:
            transition(shipment, Shipment.Status.DELIVERED, changes={**changes, "delivered_at": newest.occurred_at,
                                                                     "next_poll_at": None})
            order = shipment.order
            if (order.status == Status.SHIPPED
                    and not order.shipments.exclude(status__in=(Shipment.Status.DELIVERED,
                                                                Shipment.Status.CANCELLED)).exists()):
                order_deliver(order=order, note=_("Delivered by %(carrier)s.") % {"carrier": shipment.carrier})
        elif newest.status == TrackingStatus.RETURNED:
            transition(shipment, Shipment.Status.RETURNED, changes={**changes, "next_poll_at": None})
        else:
            Shipment.objects.filter(pk=shipment.pk).update(**changes)


def shipment_record_delivery(*, shipment: Shipment, user, when=None) -> Shipment:
    """Staff record that a parcel arrived (the own fleet's, a pickup in store, a carrier that reports no
    tracking): a tracking event of theirs, which delivers the parcel — and the order with its last one."""
    shipment = Shipment.objects.select_related("service__carrier", "order").get(pk=shipment.pk)
    if shipment.status not in OPEN:
        raise ShippingError(_("Parcel %(parcel)s is “%(status)s”: only a parcel on its way is delivered.")
                            % {"parcel": shipment, "status": shipment.get_status_display()})
    when = when or timezone.now()
    if when > timezone.now() or (shipment.shipped_at and when < shipment.shipped_at):
        raise ShippingError(_("The delivery comes after the parcel left, and not later than now."))
    name = user.get_full_name() or user.get_username()
    tracking_record(shipment=shipment, source=TrackingEvent.Source.STAFF, events=[providers.ReportedEvent(
        tracking_code=shipment.tracking_code, occurred_at=when, code="STAFF", kind="", status=TrackingStatus.DELIVERED,
        description=_("Delivery recorded by %(name)s") % {"name": name}, raw={"user": user.pk})])
    shipment.refresh_from_db()
    return shipment


def tracking_check(*, shipment: Shipment, now=None) -> int:
    """Ask the parcel's carrier for its events now and record them; the next check comes sooner
    when something moved, later (up to POLL_LONGEST) when nothing did. ProviderError is raised
    again after the next check is set."""
    now = now or timezone.now()
    carrier = shipment.carrier
    waited = (now - shipment.last_event_at) if shipment.last_event_at else POLL_FIRST
    try:
        events = providers.provider(carrier.provider).track(carrier, [shipment.tracking_code])
    except ProviderError:
        Shipment.objects.filter(pk=shipment.pk).update(next_poll_at=now + POLL_FIRST)
        raise
    new = tracking_record(shipment=shipment, events=events, source=TrackingEvent.Source.POLL)
    wait = POLL_FIRST if new else min(max(waited, POLL_FIRST) * 2, POLL_LONGEST)
    Shipment.objects.filter(pk=shipment.pk, status__in=OPEN).update(next_poll_at=now + wait)
    return new


def shipments_due_for_tracking(*, now=None, limit: int = 200):
    """The open parcels of carriers with an API whose next check is due, the longest waiting first."""
    now = now or timezone.now()
    return list(Shipment.objects.filter(status__in=OPEN, next_poll_at__lte=now).exclude(service__carrier__provider="")
                .select_related("service__carrier", "order").order_by("next_poll_at")[:limit])



def tracking_email_send(*, order_id: int) -> bool:
    """E-mail the customer of a shipped order its parcels' tracking and the public tracking page,
    once. Whether it was sent now."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer").get(pk=order_id)
        if not order.customer.email or order.events.filter(code="shipment.tracking_emailed").exists():
            return False
        shipments = list(order.shipments.filter(status__in=(Shipment.Status.SHIPPED, Shipment.Status.DELIVERED))
                         .select_related("service__carrier"))
        context = {"order": order, "shipments": shipments,
                   "link": settings.SITE_URL.rstrip("/") + reverse("logistics:track")}
        send_mail(subject=render_to_string("logistics/email/tracking_subject.txt", context).strip(),
                  message=render_to_string("logistics/email/tracking.txt", context),
                  from_email=None, recipient_list=[order.customer.email])
        record(order, "shipment.tracking_emailed", {"email": order.customer.email})
    return True
