"""Customers and their addresses, orders and their items, the order timeline, and the
IBGE municipality table that addresses (and later the NF-e) point to."""

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.fields import MoneyField
from backoffice.money import ZERO, format_money
from backoffice.text import format_cep
from backoffice.timeline import StateMachine, render, timeline_events

from .validators import INVALID_DOCUMENT

cep_validator = RegexValidator(r"^\d{8}$", _("The CEP has 8 digits."))


class City(models.Model):
    """A municipality as IBGE codes it (the NF-e's cMun). Loaded from orders/data/ibge/."""

    code = models.CharField(_("IBGE code"), max_length=7, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    uf = models.CharField(_("UF"), max_length=2, db_index=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["uf", "name"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["uf", "name"])]

    def __str__(self):
        return f"{self.name}/{self.uf}"


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("person (CPF)")
        COMPANY = "company", _("company (CNPJ)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=150)
    # Digits of the CPF (11) or digits and letters of the CNPJ (14), without punctuation.
    document = models.CharField(_("CPF/CNPJ"), max_length=14, db_index=True)
    state_registration = models.CharField(
        _("state registration (IE)"), max_length=20, blank=True, help_text=_("Companies: the IE, or ISENTO.")
    )
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    blocked = models.BooleanField(_("blocked"), default=False,
                                  help_text=_("Orders of a blocked customer wait in the validation queue."))
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "pk"]
        permissions = [("merge_customer", _("Can merge two customers"))]

    def __str__(self):
        return self.name


class Address(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=150, blank=True)
    cep = models.CharField(_("CEP"), max_length=8, validators=[cep_validator])
    street = models.CharField(_("street"), max_length=150)
    number = models.CharField(_("number"), max_length=20)
    complement = models.CharField(_("complement"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100)
    city = models.ForeignKey(City, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    is_default = models.BooleanField(_("default address"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "pk"]

    def __str__(self):
        return f"{self.street}, {self.number} – {self.district}, {self.city} – {format_cep(self.cep)}"


class Channel(models.TextChoices):
    WEB = "web", _("web store")
    MANUAL = "manual", _("manual")
    PHONE = "phone", _("phone")
    MERCADOLIVRE = "mercadolivre", "Mercado Livre"
    AMAZON = "amazon", "Amazon"
    SHOPEE = "shopee", "Shopee"
    MAGALU = "magalu", "Magalu"


class Status(models.TextChoices):
    NEW = "new", _("New")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    INVOICED = "invoiced", _("Invoiced")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


# The statuses in which an order takes a payment (toward its total).
TAKES_PAYMENT = frozenset({Status.NEW, Status.AWAITING_PAYMENT})


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Order(models.Model):
    number = models.PositiveIntegerField(_("number"), unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.MANUAL)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # The API integration (ApiToken.integration) that posted it, "" for the others: external
    # ids are the integration's own, so two integrations never share an order.
    integration = models.CharField(_("integration"), max_length=50, blank=True, default="")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    # Why a new order waits for stock ({"code", "params"}, {} when it does not): `hold_reason` reads it.
    hold = models.JSONField(_("on hold because"), default=dict, blank=True)
    # The failed checks that keep a paid order in the validation queue ([{"code", "params"}]):
    # `failed_checks` reads them.
    validation_failures = models.JSONField(_("failed checks"), default=list, blank=True)
    # The shipping address as it was when the order was placed.
    ship_recipient = models.CharField(_("recipient"), max_length=150)
    ship_cep = models.CharField(_("CEP"), max_length=8)
    ship_street = models.CharField(_("street"), max_length=150)
    ship_number = models.CharField(_("number"), max_length=20)
    ship_complement = models.CharField(_("complement"), max_length=100, blank=True)
    ship_district = models.CharField(_("district"), max_length=100)
    ship_city_code = models.CharField(_("IBGE city code"), max_length=7)
    ship_city_name = models.CharField(_("city"), max_length=100)
    ship_uf = models.CharField(_("UF"), max_length=2, db_index=True)
    items_total = MoneyField(_("items"), default=0)
    discount_total = MoneyField(_("discount"), default=0)
    shipping_total = MoneyField(_("shipping"), default=0)
    total = MoneyField(_("total"), default=0)
    paid_amount = MoneyField(_("paid"), default=0)
    # Of what was paid, what was given back (refunds of the payments credited to it).
    refunded_amount = MoneyField(_("refunded"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="orders")
    placed_at = models.DateTimeField(_("placed"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    survey_sent_at = models.DateTimeField(_("survey sent"), null=True, blank=True)
    # Its timeline, oldest first (written by backoffice.states only).
    events = GenericRelation("backoffice.TimelineEvent", related_query_name="order")

    # The pipeline: every other move is refused.
    states = StateMachine({
        Status.NEW: {Status.AWAITING_PAYMENT, Status.CANCELLED},
        Status.AWAITING_PAYMENT: {Status.PAID, Status.CANCELLED},
        Status.PAID: {Status.READY_TO_SHIP, Status.CANCELLED},
        Status.READY_TO_SHIP: {Status.INVOICED, Status.CANCELLED},
        Status.INVOICED: {Status.SHIPPED},
        Status.SHIPPED: {Status.DELIVERED, Status.RETURNED},
        Status.DELIVERED: {Status.CLOSED, Status.RETURNED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
        Status.RETURNED: set(),
    })

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        permissions = [
            ("transition_order", _("Can move an order through the pipeline")),
            ("override_validation", _("Can release an order that failed validation")),
            ("register_payment", _("Can register a payment received outside the payment providers")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "channel", "external_id"], condition=~Q(external_id=""),
                name="order_one_per_integration_channel_external_id",
            ),
            models.CheckConstraint(
                # Rounded: SQLite does this arithmetic in floating point.
                condition=Q(total=Round(F("items_total") - F("discount_total") + F("shipping_total"), 2)),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(items_total__gte=0, discount_total__gte=0, shipping_total__gte=0, total__gte=0,
                            paid_amount__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("paid_amount")),
                                   name="order_refunds_within_what_was_paid"),
        ]
        indexes = [
            models.Index(fields=["status", "placed_at"]),
            models.Index(fields=["channel", "placed_at"]),
            # The list's search: a marketplace's order id typed alone.
            models.Index(fields=["external_id"]),
        ]

    def __str__(self):
        return f"#{self.number}"

    @property
    def reference(self):
        """How inventory knows this order's reservations."""
        return f"order:{self.pk}"

    @property
    def payment_due(self) -> Decimal:
        """What the order still waits for: nothing once it takes no payment."""
        if self.status not in TAKES_PAYMENT:
            return ZERO
        return max(self.total - self.paid_amount, ZERO)

    @property
    def net_received(self) -> Decimal:
        """What the order received and kept: paid less refunded."""
        return self.paid_amount - self.refunded_amount

    @property
    def payable(self) -> bool:
        """The customer can pay it now: its stock is reserved and money is still due. A held order
        takes the money that arrives anyway (paid at a marketplace, registered by hand: `payment_due`)
        but nobody is asked to pay for stock that may never come."""
        return self.status == Status.AWAITING_PAYMENT and self.payment_due > 0

    @property
    def not_payable_yet(self) -> str:
        """Why the customer cannot pay what is still due yet, in the active language ("" when they
        can, or nothing is due)."""
        if self.payable or not self.payment_due:
            return ""
        if self.hold:
            return gettext("It can be paid once its stock is reserved. On hold: %(reason)s") % {
                "reason": self.hold_reason}
        return gettext("It can be paid once its stock is reserved.")

    @property
    def in_validation_queue(self):
        return self.status == Status.PAID and bool(self.validation_failures)

    @property
    def hold_reason(self) -> str:
        """Why it waits for stock, in the active language ("" when it does not)."""
        return render(self.hold["code"], self.hold.get("params")) if self.hold else ""

    @property
    def failed_checks(self) -> list[str]:
        """The checks it failed, in the active language."""
        return [render(check["code"], check.get("params")) for check in self.validation_failures]


def _words(params: dict) -> str:
    """Someone's own words, as written: a note, a reason, a reference (or an event's text
    written before events kept codes)."""
    return str(params.get("text", ""))


def _payment(params: dict) -> str:
    if "amount" not in params:  # recorded before events kept codes: its text as written
        return _words(params)
    return (gettext("Payment of %(amount)s %(reference)s") % {
        "amount": format_money(params["amount"]), "reference": params.get("reference", "")}).strip()


def _refund(params: dict) -> str:
    values = {"amount": format_money(params["amount"]), "reference": params.get("reference", ""),
              "reason": params.get("reason", "")}
    if values["reason"]:
        return gettext("Refund of %(amount)s %(reference)s: %(reason)s") % values
    return (gettext("Refund of %(amount)s %(reference)s") % values).strip()


def _released(params: dict) -> str:
    """Released for shipping: its checks passed, or a manager overrode the failed ones."""
    if "reason" not in params:
        return gettext("All checks passed.")
    return gettext("%(reason)s (overridden: %(failed)s)") % params


def _paid_check(params: dict) -> str:
    return gettext("Paid %(paid)s, but the order totals %(total)s.") % {
        "paid": format_money(params["paid"]), "total": format_money(params["total"])}


# The order's timeline. A move's code is "order.<status>"; money is kept as a string
# ("58.80") and formatted when read. "order.note" is a staff note, and also what an event,
# a hold reason or a failed check written as text before events kept codes became.
timeline_events({
    "order.received": _("Order received."),
    "order.held": _("On hold: %(reason)s"),
    "order.awaiting_payment": _("Stock reserved."),
    "order.payment": _payment,
    "order.refund": _refund,
    "order.paid": _words,
    "order.validation_failed": _("Failed checks: %(failures)s"),
    "order.ready_to_ship": _released,
    "order.invoiced": _words,
    "order.shipped": _words,
    "order.delivered": _words,
    "order.closed": _words,
    "order.cancelled": _words,
    "order.returned": _words,
    "order.note": _words,
    "order.tagged": _("Tagged “%(tag)s”."),
    "order.survey_sent": _("Satisfaction survey sent to %(email)s."),
    "order.survey_answered": _("Survey answered: %(score)d."),
    # The checks a paid order must pass (services.validation_failures).
    "order.check.document": _("Customer document: %(error)s"),
    "order.document.invalid": INVALID_DOCUMENT,
    "order.check.address": _("The shipping address is incomplete."),
    "order.check.cep": cep_validator.message,
    "order.check.cep_uf": _("The CEP %(cep)s is not in %(uf)s."),
    "order.check.city_uf": _("The city (IBGE %(code)s) is not in %(uf)s."),
    "order.check.paid": _paid_check,
    "order.check.blocked": _("The customer is blocked."),
})


class OrderItem(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items")
    # Indexed with the order (below): the search by SKU reads the orders containing a product
    # from that index alone.
    product = models.ForeignKey("inventory.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    sku = models.CharField(_("SKU"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    unit_price = MoneyField(_("unit price"))
    discount = MoneyField(_("discount"), default=0)
    total = MoneyField(_("total"))

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["pk"]
        indexes = [models.Index(fields=["product", "order"], name="orderitem_product_order")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderitem_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0, discount__gte=0, total__gte=0),
                                   name="orderitem_amounts_not_negative"),
            models.CheckConstraint(
                condition=Q(total=Round(F("quantity") * F("unit_price") - F("discount"), 2)),
                name="orderitem_total_adds_up",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class Counter(models.Model):
    """Order numbers on SQLite, which runs one writer at a time (PostgreSQL takes them from
    the sequence `orders_order_number`)."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ()


class SurveyAnswer(models.Model):
    """The customer's answer to the post-sale survey: one per order."""

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="survey_answer")
    score = models.PositiveSmallIntegerField(_("score (0–10)"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    answered_at = models.DateTimeField(_("answered"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at"]
        default_permissions = ("view",)
        constraints = [models.CheckConstraint(condition=Q(score__lte=10), name="surveyanswer_score_0_to_10")]

    def __str__(self):
        return f"{self.order}: {self.score}"

    # NPS groups: promoters score 9–10, passives 7–8, detractors 0–6.
    PROMOTER_FROM = 9
    PASSIVE_FROM = 7

    @property
    def group(self):
        """NPS group: promoter, passive or detractor."""
        if self.score >= self.PROMOTER_FROM:
            return "promoter"
        return "passive" if self.score >= self.PASSIVE_FROM else "detractor"


class OrderInbox(models.Model):
    """An order as it arrived from outside (the JSON API), kept before it is processed. Its shape
    and fields are judged as it arrives (one refused is kept rejected, with the errors; one
    received before is accepted as a repeat); then a task processes it: it becomes an order, or is
    rejected with the errors of its fields, or failed (not the sender's fault: a bug, a worker it
    stopped). A rejected one stays with its errors, ready to be looked at and sent again."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("order inbox status", "received")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")

    source = models.CharField(_("source"), max_length=120)
    # The API token's integration: whose external ids the order's are, and who may look at the row.
    integration = models.CharField(_("integration"), max_length=50, blank=True, default="")
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    payload = models.TextField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    errors = models.JSONField(_("errors"), default=dict, blank=True)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    # A received order is processed once, one way or another (sent again, it is a new row).
    states = StateMachine({Status.RECEIVED: {Status.ACCEPTED, Status.REJECTED, Status.FAILED}})

    class Meta:
        verbose_name = _("order inbox entry")
        verbose_name_plural = _("order inbox")
        ordering = ["-received_at"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["received_at"], condition=Q(status="received"), name="orderinbox_waiting")]

    def __str__(self):
        return f"{self.source} {self.received_at:%Y-%m-%d %H:%M}"


timeline_events({
    "orderinbox.accepted": _("Became order #%(number)s."),
    "orderinbox.repeated": _("Order #%(number)s was received before: nothing changed."),
    "orderinbox.rejected": _("Refused; fields to fix: %(fields)s."),
    "orderinbox.failed": _("Could not be processed (%(error)s); kept for the team."),
    "orderinbox.poisoned": _("Processing stopped the worker %(starts)d times; kept for the team."),
})


# The audit log's own actions ("order.received" reads as the timeline's event; a move as its status).
audit_actions({
    "customer.create": _("Customer created"),
    "customer.update": _("Customer changed"),
    "customer.address": _("Customer address saved"),
    "customer.merge": _("Customers merged"),
    "order.tag": _("Orders tagged"),
    "orderinbox.repeated": _("Order received again"),
    "orderinbox.poisoned": _("Order inbox entry stopped the worker"),
})
