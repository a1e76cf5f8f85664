"""Carriers and their services, freight tables, boxes, shipments (one parcel each: its items,
box, weight, carrier, tracking code, cost, promised date and label) and the tracking events
the carriers report."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.fields import EncryptedJSONField, MoneyField
from backoffice.models import InboxEntry
from backoffice.money import format_money
from backoffice.timeline import StateMachine, timeline_events

from . import providers

cep_validator = RegexValidator(r"^\d{8}$", _("The CEP has 8 digits."))
POSITIVE = MinValueValidator(Decimal("0.001"))


def kg_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=8, decimal_places=3, **kwargs)


def cm_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=1, **kwargs)


class Carrier(models.Model):
    """Who takes the parcels: a carrier with an API (its `provider` makes the labels and reports
    the tracking), or one priced by its tables only (our own label), the store's own fleet, pickup
    in store or a marketplace's logistics."""

    class Kind(models.TextChoices):
        CARRIER = "carrier", _("carrier")
        MARKETPLACE = "marketplace", _("marketplace logistics")
        OWN_FLEET = "own_fleet", _("own fleet")
        PICKUP = "pickup", _("pickup in store")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CARRIER)
    provider = models.CharField(_("integration"), max_length=30, choices=providers.choices, blank=True,
                                help_text=_("The carrier's API, which makes its labels and reports the tracking. "
                                            "Empty: priced by its tables, labelled by us."))
    # cm³ per kg: the cubic weight is length × width × height ÷ this (Correios and most carriers: 6000).
    cubic_factor = models.PositiveIntegerField(_("cubic factor"), default=6000, validators=[MinValueValidator(1)],
                                               help_text=_("Cubic weight = L × W × H (cm) ÷ this factor."))
    tracking_url = models.CharField(_("tracking page"), max_length=300, blank=True,
                                    help_text=_("The carrier's tracking page, with {code} where the code goes."))
    # What its provider's client declares (CarrierProvider.credentials), encrypted at rest.
    credentials = EncryptedJSONField(_("credentials"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def credential(self, name: str) -> str:
        """One of its credentials ("" when it has none)."""
        return (self.credentials or {}).get(name, "")

    def tracking_link(self, code: str) -> str:
        return self.tracking_url.replace("{code}", code) if self.tracking_url and code else ""


class CarrierService(models.Model):
    """One of a carrier's services (SEDEX, PAC, .Package …) and its delivery-time promise."""

    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="services")
    code = models.CharField(_("code"), max_length=30, help_text=_("The carrier's code of the service (SEDEX: 03220)."))
    name = models.CharField(_("name"), max_length=100)
    # Business days from posting to delivery when its table gives none (own fleet, pickup).
    days = models.PositiveSmallIntegerField(_("delivery days"), default=0)
    # Business days between the order's payment and the posting: what the store promises on top.
    handling_days = models.PositiveSmallIntegerField(_("handling days"), default=1)
    max_weight_kg = kg_field(_("maximum weight (kg)"), default=30, validators=[POSITIVE])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier service")
        verbose_name_plural = _("carrier services")
        ordering = ["carrier__name", "name"]
        constraints = [models.UniqueConstraint(fields=["carrier", "code"], name="carrierservice_one_code_per_carrier")]

    def __str__(self):
        return f"{self.carrier.name} {self.name}"


class FreightRate(models.Model):
    """A row of a service's freight table: parcels to a CEP in [cep_start, cep_end] weighing up to
    `weight_up_to_kg` (and more than the band below) cost `price` and take `days` business days."""

    service = models.ForeignKey(CarrierService, verbose_name=_("service"), on_delete=models.CASCADE,
                                related_name="rates")
    cep_start = models.CharField(_("from CEP"), max_length=8, validators=[cep_validator])
    cep_end = models.CharField(_("to CEP"), max_length=8, validators=[cep_validator])
    weight_up_to_kg = kg_field(_("up to (kg)"), validators=[POSITIVE])
    price = MoneyField(_("price"))
    days = models.PositiveSmallIntegerField(_("delivery days"))

    class Meta:
        verbose_name = _("freight rate")
        verbose_name_plural = _("freight rates")
        ordering = ["service", "cep_start", "weight_up_to_kg"]
        constraints = [
            models.UniqueConstraint(fields=["service", "cep_start", "cep_end", "weight_up_to_kg"],
                                    name="freightrate_one_per_range_and_band"),
            models.CheckConstraint(condition=Q(cep_end__gte=F("cep_start")), name="freightrate_cep_range_ordered"),
            models.CheckConstraint(condition=Q(price__gte=0), name="freightrate_price_not_negative"),
        ]
        indexes = [models.Index(fields=["service", "cep_start", "cep_end"])]

    def __str__(self):
        return f"{self.service} {self.cep_start}–{self.cep_end} ≤ {self.weight_up_to_kg} kg"


class Box(models.Model):
    """A box the store packs in: its outer dimensions and its own weight."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    length_cm = cm_field(_("length (cm)"), validators=[POSITIVE])
    width_cm = cm_field(_("width (cm)"), validators=[POSITIVE])
    height_cm = cm_field(_("height (cm)"), validators=[POSITIVE])
    weight_kg = kg_field(_("weight (kg)"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("box")
        verbose_name_plural = _("boxes")
        ordering = ["length_cm", "width_cm", "height_cm", "name"]

    def __str__(self):
        return f"{self.name} ({self.length_cm:g} × {self.width_cm:g} × {self.height_cm:g} cm)"


class TrackingStatus(models.TextChoices):
    """What a carrier's event means, whatever its own code."""

    POSTED = "posted", _("posted")
    IN_TRANSIT = "in_transit", _("in transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
    FAILED_ATTEMPT = "failed_attempt", _("failed delivery attempt")
    AWAITING_PICKUP = "awaiting_pickup", _("awaiting pickup")
    DELIVERED = "delivered", _("delivered")
    RETURNED = "returned", _("returned to sender")
    EXCEPTION = "exception", _("exception")


class Shipment(models.Model):
    """One parcel of an order: packed (each item scanned), handed to a carrier with its tracking
    code, label, cost and promised date, then followed until delivered."""

    class Status(models.TextChoices):
        PACKING = "packing", _("packing")
        PACKED = "packed", _("packed")
        SHIPPED = "shipped", _("shipped")
        DELIVERED = "delivered", _("delivered")
        RETURNED = "returned", _("returned to sender")
        CANCELLED = "cancelled", _("cancelled")

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="shipments")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PACKING,
                              db_index=True)
    service = models.ForeignKey(CarrierService, verbose_name=_("service"), on_delete=models.PROTECT,
                                related_name="shipments")
    box = models.ForeignKey(Box, verbose_name=_("box"), on_delete=models.PROTECT, null=True, blank=True,
                            related_name="+")
    weight_kg = kg_field(_("weight (kg)"), null=True, blank=True)
    length_cm = cm_field(_("length (cm)"), null=True, blank=True)
    width_cm = cm_field(_("width (cm)"), null=True, blank=True)
    height_cm = cm_field(_("height (cm)"), null=True, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=40, blank=True, db_index=True)
    # The carrier's own id of the parcel's order or pre-posting, when its API made the label.
    carrier_reference = models.CharField(_("carrier reference"), max_length=100, blank=True)
    cost = MoneyField(_("freight cost"), default=0)
    promised_on = models.DateField(_("promised for"), null=True, blank=True, db_index=True)
    # The carrier's label (PDF), when its API made it; ours is drawn when printed.
    carrier_label = models.BinaryField(_("carrier label"), blank=True, default=b"", editable=False)
    tracking_status = models.CharField(_("tracking"), max_length=20, choices=TrackingStatus.choices, blank=True)
    last_event_at = models.DateTimeField(_("last tracking event"), null=True, blank=True)
    # When the poller looks at it next (backing off while nothing moves).
    next_poll_at = models.DateTimeField(_("next tracking check"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    events = GenericRelation("backoffice.TimelineEvent", related_query_name="shipment")

    states = StateMachine({
        Status.PACKING: {Status.PACKED, Status.CANCELLED},
        Status.PACKED: {Status.PACKING, Status.SHIPPED, Status.CANCELLED},
        Status.SHIPPED: {Status.DELIVERED, Status.RETURNED},
        Status.DELIVERED: set(),
        Status.RETURNED: set(),
        Status.CANCELLED: set(),
    })

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-pk"]
        permissions = [("ship_shipment", _("Can pack and ship parcels"))]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=0), name="shipment_cost_not_negative")]
        indexes = [models.Index(fields=["status", "promised_on"])]

    def __str__(self):
        return self.tracking_code or _("parcel %(number)s") % {"number": self.pk}

    @property
    def carrier(self) -> Carrier:
        return self.service.carrier

    @property
    def tracking_link(self) -> str:
        return self.carrier.tracking_link(self.tracking_code)


class ShipmentItem(models.Model):
    """Units of an order's item in a parcel, and how many of them were scanned into it."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey("orders.OrderItem", verbose_name=_("item"), on_delete=models.PROTECT,
                                   related_name="shipment_items")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    packed = models.PositiveIntegerField(_("packed"), default=0)

    class Meta:
        verbose_name = _("shipment item")
        verbose_name_plural = _("shipment items")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_item"], name="shipmentitem_one_per_item"),
            models.CheckConstraint(condition=Q(packed__lte=F("quantity")), name="shipmentitem_packed_within_quantity"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_item}"


class TrackingEvent(models.Model):
    """One event a carrier reported for a parcel, as it reported it (its code and type, which
    together mean the status), and what it means."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", _("carrier's notification")
        POLL = "poll", _("tracking check")
        STAFF = "staff", _("recorded by staff")

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                 related_name="tracking_events")
    occurred_at = models.DateTimeField(_("when"))
    code = models.CharField(_("carrier's code"), max_length=20)
    kind = models.CharField(_("carrier's type"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TrackingStatus.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    raw = models.JSONField(_("as reported"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["-occurred_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["shipment", "occurred_at", "code", "kind"],
                                               name="trackingevent_once_per_parcel")]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class CarrierNotification(InboxEntry):
    """A carrier's notification (a tracking webhook) exactly as it arrived, kept before anything is
    done with it: a rejected one (bad signature, unreadable) in short. Its resource is the carrier's id
    of the parcel (its tracking code or order id)."""

    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT,
                                related_name="notifications")

    class Meta(InboxEntry.Meta):
        verbose_name = _("carrier notification")
        verbose_name_plural = _("carrier notifications")
        permissions = [("replay_carriernotification", _("Can replay a carrier notification"))]

    def __str__(self):
        return f"{self.carrier} {self.received_at:%Y-%m-%d %H:%M:%S}"


class ReturnRequest(models.Model):
    """Goods a customer sends back: asked for (by staff, or by the customer on the public page within
    the CDC's 7 days or for a defect), approved with a reverse-shipping code, received, each item
    inspected (back to stock, to quality control, or written off), then closed by finance with the
    refund and, when the order was invoiced, the return NF-e."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")
        RECEIVED = "received", pgettext_lazy("status", "received")  # "received" alone is a date field's label
        INSPECTED = "inspected", _("inspected")
        CLOSED = "closed", pgettext_lazy("status", "closed")

    class Reason(models.TextChoices):
        REGRET = "regret", _("changed their mind (7-day withdrawal)")
        DEFECT = "defect", _("defective product")
        WRONG_ITEM = "wrong_item", _("wrong item sent")
        DAMAGED = "damaged", _("damaged in transit")
        OTHER = "other", _("other")

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="return_requests")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    details = models.TextField(_("details"), blank=True)
    by_customer = models.BooleanField(_("asked by the customer"), default=False)
    # The reverse-shipping authorization the customer posts the parcel with (the carrier's, or ours).
    reverse_code = models.CharField(_("reverse-shipping code"), max_length=40, blank=True, db_index=True)
    reverse_service = models.ForeignKey(CarrierService, verbose_name=_("reverse shipping by"),
                                        on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    warehouse = models.ForeignKey("inventory.Warehouse", verbose_name=_("received at"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    refunded = MoneyField(_("refunded"), default=0)
    return_invoice = models.ForeignKey("fiscal.Invoice", verbose_name=_("return NF-e"), on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    events = GenericRelation("backoffice.TimelineEvent", related_query_name="return_request")

    states = StateMachine({
        Status.REQUESTED: {Status.APPROVED, Status.REFUSED},
        Status.APPROVED: {Status.RECEIVED},
        Status.RECEIVED: {Status.INSPECTED},
        Status.INSPECTED: {Status.CLOSED},
        Status.REFUSED: set(),
        Status.CLOSED: set(),
    })

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-created_at", "-pk"]
        permissions = [("handle_returnrequest", _("Can approve, receive and inspect returns")),
                       ("close_returnrequest", _("Can refund and close returns"))]
        constraints = [models.CheckConstraint(condition=Q(refunded__gte=0), name="returnrequest_refunded_not_negative")]

    def __str__(self):
        return _("return %(number)s") % {"number": self.pk}


class ReturnItem(models.Model):
    """Units of an order's item coming back, and what inspection decided for them."""

    class Outcome(models.TextChoices):
        RESTOCK = "restock", _("back to stock")
        QUALITY_CONTROL = "quality_control", _("quality control")
        WRITE_OFF = "write_off", _("write-off")

    request = models.ForeignKey(ReturnRequest, verbose_name=_("return"), on_delete=models.CASCADE,
                                related_name="items")
    order_item = models.ForeignKey("orders.OrderItem", verbose_name=_("item"), on_delete=models.PROTECT,
                                   related_name="return_items")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    note = models.CharField(_("inspection note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("returned item")
        verbose_name_plural = _("returned items")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["request", "order_item"], name="returnitem_one_per_item")]

    def __str__(self):
        return f"{self.quantity} × {self.order_item}"


def _requested(params: dict) -> str:
    return gettext("Return requested: %(reason)s.") % {"reason": ReturnRequest.Reason(params["reason"]).label}


def _closed(params: dict) -> str:
    return gettext("Closed: %(refunded)s refunded.") % {"refunded": format_money(params["refunded"])}


timeline_events({
    "shipment.packing": _("Packing started."),
    "shipment.packed": _("Packed: %(weight)s kg."),
    "shipment.shipped": _("Handed to %(carrier)s, tracking code %(code)s."),
    "shipment.delivered": _("Delivered."),
    "shipment.returned": _("Returned to sender."),
    "shipment.cancelled": _("Cancelled."),
    "shipment.tracking_emailed": _("Tracking e-mailed to %(email)s."),
    "returnrequest.requested": _requested,
    "returnrequest.approved": _("Approved: reverse-shipping code %(code)s."),
    "returnrequest.refused": _("Refused: %(text)s"),
    "returnrequest.received": _("Received at %(warehouse)s."),
    "returnrequest.inspected": _("Inspected: %(outcomes)s."),
    "returnrequest.closed": _closed,
})

# The audit log's own actions (a move reads as its status); the carriers' settings (logistics.configuration).
audit_actions({
    "carrier.create": _("Carrier created"),
    "carrier.update": _("Carrier changed"),
    "carrier.activate": _("Carrier switched on"),
    "carrier.deactivate": _("Carrier switched off"),
    "carrier.credentials": _("Carrier's API credentials changed"),
    "carrierservice.create": _("Carrier service created"),
    "carrierservice.update": _("Carrier service changed"),
    "carrierservice.rates_imported": _("Freight table imported"),
    "carrierservice.rates_deleted": _("Freight table deleted"),
    "box.create": _("Box created"),
    "box.update": _("Box changed"),
    "box.activate": _("Box switched on"),
    "box.deactivate": _("Box switched off"),
})
