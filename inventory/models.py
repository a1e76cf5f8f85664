"""The catalog (one Product per SKU), warehouses, stock levels, the append-only stock
ledger and reservations.

A unit is always in one of these states: outside the company, or inside a warehouse as
sellable, damaged, in quality control or held back as safety stock. Every ledger row moves
`quantity` units from one state to another, so `on_hand` and each non-sellable quantity of
a level equal sums of the ledger (`inventory_verify` proves it). `reserved` is the sum of
the level's active reservations.
"""

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.fields import MoneyField
from backoffice.timeline import timeline_events


class Origin(models.IntegerChoices):
    """The goods' origin, as the NF-e's `orig` field codes it."""

    NATIONAL = 0, _("0 – National")
    FOREIGN_DIRECT = 1, _("1 – Foreign, imported directly")
    FOREIGN_LOCAL = 2, _("2 – Foreign, bought in Brazil")
    NATIONAL_IMPORT_40_70 = 3, _("3 – National, 40 to 70 percent imported content")
    NATIONAL_PPB = 4, _("4 – National, basic production processes")
    NATIONAL_IMPORT_UNDER_40 = 5, _("5 – National, up to 40 percent imported content")
    FOREIGN_DIRECT_NO_SIMILAR = 6, _("6 – Foreign direct, no national similar (CAMEX)")
    FOREIGN_LOCAL_NO_SIMILAR = 7, _("7 – Foreign bought in Brazil, no national similar (CAMEX)")
    NATIONAL_IMPORT_OVER_70 = 8, _("8 – National, over 70 percent imported content")


class Unit(models.TextChoices):
    UNIT = "UN", _("unit (UN)")
    PIECE = "PC", _("piece (PC)")
    BOX = "CX", _("box (CX)")
    KIT = "KIT", _("kit (KIT)")
    PAIR = "PAR", _("pair (PAR)")


ncm_validator = RegexValidator(r"^\d{8}$", _("The NCM has 8 digits."))
cest_validator = RegexValidator(r"^\d{7}$", _("The CEST has 7 digits."))


class Product(models.Model):
    """One SKU. Variants of one item (sizes, colours) point to the same `parent`."""

    sku = models.CharField(_("SKU"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("variant of"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="variants",
    )
    variant_label = models.CharField(_("variant"), max_length=100, blank=True, help_text=_("e.g. Blue / M"))
    gtin = models.CharField(_("GTIN/EAN"), max_length=14, blank=True, db_index=True)
    ncm = models.CharField(_("NCM"), max_length=8, validators=[ncm_validator])
    cest = models.CharField(_("CEST"), max_length=7, blank=True, validators=[cest_validator])
    origin = models.PositiveSmallIntegerField(_("origin"), choices=Origin.choices, default=Origin.NATIONAL)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.UNIT)
    gross_weight_kg = models.DecimalField(_("gross weight (kg)"), max_digits=9, decimal_places=3, default=0)
    net_weight_kg = models.DecimalField(_("net weight (kg)"), max_digits=9, decimal_places=3, default=0)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=7, decimal_places=1, default=0)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=7, decimal_places=1, default=0)
    length_cm = models.DecimalField(_("length (cm)"), max_digits=7, decimal_places=1, default=0)
    cost = MoneyField(_("average cost"), default=0, validators=[MinValueValidator(0)])
    price = MoneyField(_("price"), validators=[MinValueValidator(0)])
    image = models.ImageField(_("image"), upload_to="products/", blank=True)
    reorder_point = models.PositiveIntegerField(
        _("reorder point"), default=0, help_text=_("Buy more when the available quantity falls to this.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        permissions = [
            ("import_catalog", _("Can import the catalog from a spreadsheet")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
            models.CheckConstraint(condition=Q(origin__lte=8), name="product_origin_0_to_8"),
        ]

    def __str__(self):
        return f"{self.sku} – {self.name}"


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=10, help_text=_("Orders take stock from lower numbers first.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["priority", "code"]

    def __str__(self):
        return self.name


class State(models.TextChoices):
    """Where a unit is. OUTSIDE is not stock: units come from and go to it."""

    OUTSIDE = "outside", _("outside")
    SELLABLE = "sellable", _("sellable")
    DAMAGED = "damaged", _("damaged")
    QUALITY_CONTROL = "quality_control", _("quality control")
    SAFETY = "safety", _("safety stock")


class StockLevel(models.Model):
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="levels")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    damaged = models.IntegerField(_("damaged"), default=0)
    quality_control = models.IntegerField(_("quality control"), default=0)
    safety = models.IntegerField(_("safety stock"), default=0)
    # Where the units are on the shelves (aisle, shelf, bin: "A-03-2"): the picking list's order.
    location = models.CharField(_("location"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product__sku", "warehouse__priority"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_one_per_product_warehouse"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0, reserved__gte=0, damaged__gte=0, quality_control__gte=0, safety__gte=0),
                name="stocklevel_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(on_hand__gte=F("reserved") + F("damaged") + F("quality_control") + F("safety")),
                name="stocklevel_available_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self):
        return self.on_hand - sum(getattr(self, column) for column in UNSELLABLE)

    @property
    def sellable(self):
        """Units in the sellable state (available plus reserved)."""
        return self.on_hand - self.damaged - self.quality_control - self.safety


# Units that are in stock but cannot be sold: reserved, damaged, in quality control, held back.
UNSELLABLE = ("reserved", "damaged", "quality_control", "safety")
AVAILABLE = F("on_hand") - sum((F(column) for column in UNSELLABLE[1:]), F(UNSELLABLE[0]))
# The same for raw SQL on the stock level table aliased `s`.
AVAILABLE_SQL = "s.on_hand - " + " - ".join(f"s.{column}" for column in UNSELLABLE)
# Largest quantity one operation may move; keeps sums far from the integer limit.
MAX_QUANTITY = 1_000_000


class Movement(models.Model):
    """One row of the stock ledger: `quantity` units of a product moved, in one warehouse,
    from one state to another. Append-only."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        SALE = "sale", _("sale shipment")
        RETURN = "return", _("return")
        WRITE_OFF = "write_off", _("write-off")
        ADJUSTMENT = "adjustment", _("adjustment")
        TRANSFER_OUT = "transfer_out", _("transfer out")
        TRANSFER_IN = "transfer_in", _("transfer in")
        STATE_CHANGE = "state_change", _("state change")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices)
    # What the person moving the units wrote, as written (a receipt or a sale is named by its kind).
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    supplier = models.CharField(_("supplier"), max_length=150, blank=True)
    unit_cost = MoneyField(_("unit cost"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    transfer_pair = models.OneToOneField(
        "self", verbose_name=_("linked transfer row"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        permissions = [
            ("receive_stock", _("Can receive goods")),
            ("adjust_stock", _("Can adjust, transfer and write off stock")),
        ]
        indexes = [models.Index(fields=["product", "warehouse", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movement_quantity_positive"),
            models.CheckConstraint(condition=~Q(from_state=F("to_state")), name="movement_changes_state"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} × {self.product_id}"

    @property
    def on_hand_delta(self):
        if self.from_state == State.OUTSIDE:
            return self.quantity
        if self.to_state == State.OUTSIDE:
            return -self.quantity
        return 0

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Stock movements are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Stock movements are append-only.")


class Reservation(models.Model):
    """Units of a level promised to one line of an order (or another reference) until they
    ship (consumed) or the order is cancelled (released)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        RELEASED = "released", _("released")
        CONSUMED = "consumed", _("consumed")

    # Every row is written on an order's hot path, so it carries only the indexes its reads
    # need: a reference's active lines are found by the partial unique index below (which
    # starts with the reference), a level's by the (level, status) index.
    reference = models.CharField(_("reference"), max_length=100)
    line = models.CharField(_("line"), max_length=100)
    level = models.ForeignKey(StockLevel, verbose_name=_("stock level"), on_delete=models.PROTECT,
                              related_name="reservations", db_index=False)
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.UniqueConstraint(
                fields=["reference", "line", "level"], condition=Q(status="active"),
                name="reservation_one_active_per_line_level",
            ),
        ]
        indexes = [models.Index(fields=["level", "status"])]

    def __str__(self):
        return f"{self.reference}/{self.line}: {self.quantity}"


class ReorderAlert(models.Model):
    """A SKU found at or under its reorder point by the daily check, with a suggested purchase."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE,
                                related_name="reorder_alerts")
    day = models.DateField(_("day"))
    available = models.IntegerField(_("available"))
    reorder_point = models.PositiveIntegerField(_("reorder point"))
    sold_last_30_days = models.PositiveIntegerField(_("sold in the last 30 days"))
    suggested_quantity = models.PositiveIntegerField(_("suggested purchase"))

    class Meta:
        verbose_name = _("reorder alert")
        verbose_name_plural = _("reorder alerts")
        default_permissions = ("view",)
        ordering = ["-day", "product__sku"]
        constraints = [models.UniqueConstraint(fields=["product", "day"], name="reorderalert_one_per_product_day")]

    def __str__(self):
        return f"{self.product.sku} {self.day}"


# Why stock could not be reserved (InventoryError's codes): an order waiting for stock keeps
# the reason as a code, read in the reader's language.
timeline_events({
    "inventory.line_quantity": _("Line %(line)s: the quantity must be between 1 and %(max)d."),
    "inventory.line_twice": _("Line %(line)s appears twice."),
    "inventory.unknown_product": _("Unknown product: %(ids)s."),
    "inventory.inactive_product": _("Inactive products cannot be sold: %(skus)s."),
    "inventory.short": _("Not enough stock — %(detail)s."),
    "inventory.shortage": _("%(sku)s: %(requested)d requested, %(available)d available"),
})


audit_actions({
    "product.create": _("Product created"),
    "product.update": _("Product changed"),
    "product.activate": _("Product activated"),
    "product.deactivate": _("Product deactivated"),
    "warehouse.create": _("Warehouse created"),
    "warehouse.update": _("Warehouse changed"),
})
