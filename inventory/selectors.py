"""Read queries on the catalog and stock, shared by views, tasks, other apps and analytics."""

from datetime import timedelta

from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import AVAILABLE, Movement, Product, Reservation, State, StockLevel, Warehouse

VELOCITY_DAYS = 30


def _level_total(expression, warehouse=None):
    levels = StockLevel.objects.filter(product=OuterRef("pk"))
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    total = levels.values("product").annotate(total=Sum(expression)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def products(warehouse: Warehouse | None = None):
    """Products with their stock totals (all warehouses, or one): `on_hand_total`,
    `reserved_total`, `available_total`, and `low` (available at or under the reorder point;
    never for a product whose variants are the SKUs that hold stock)."""
    return (
        Product.objects.select_related("parent")
        .annotate(
            on_hand_total=_level_total("on_hand", warehouse),
            reserved_total=_level_total("reserved", warehouse),
            available_total=_level_total(AVAILABLE, warehouse),
            has_variants=Exists(Product.objects.filter(parent=OuterRef("pk"))),
        )
        .annotate(low=Q(available_total__lte=F("reorder_point"), has_variants=False))
    )


def product_by_code(code: str) -> Product | None:
    """The product a scanned or typed code names: its SKU or its GTIN/EAN."""
    code = (code or "").strip()
    if not code:
        return None
    return Product.objects.filter(Q(sku__iexact=code) | Q(gtin=code)).order_by("-active", "pk").first()


def availability(skus: list[str]) -> dict[str, int]:
    """Units free to sell per SKU, over the active warehouses (unknown or inactive SKUs: 0)."""
    rows = (
        StockLevel.objects.filter(product__sku__in=skus, product__active=True, warehouse__active=True)
        .values("product__sku")
        .annotate(free=Sum(AVAILABLE))
        .values_list("product__sku", "free")
    )
    found = dict(rows)
    return {sku: found.get(sku, 0) for sku in skus}


def levels():
    return StockLevel.objects.select_related("product", "warehouse").annotate(free=AVAILABLE)


def movements():
    return Movement.objects.select_related("product", "warehouse", "user")


# Movement.on_hand_delta in SQL: units come in from outside, or go out to it.
ON_HAND_DELTA = Case(When(from_state=State.OUTSIDE, then=F("quantity")),
                     When(to_state=State.OUTSIDE, then=-F("quantity")), default=Value(0))


def running_balances(movements) -> dict[int, int]:
    """The units on hand at each movement's level (its product in its warehouse) right after
    it, whatever the list's filters: a running sum over the level's ledger up to the latest of
    these movements (a window function), read for these movements only, in one query."""
    movements = list(movements)
    if not movements:
        return {}
    ledger = (
        Movement.objects.filter(product_id__in={m.product_id for m in movements},
                                warehouse_id__in={m.warehouse_id for m in movements},
                                created_at__lte=max(m.created_at for m in movements))
        .annotate(balance=Window(Sum(ON_HAND_DELTA), partition_by=[F("product_id"), F("warehouse_id")],
                                 order_by=[F("created_at").asc(), F("pk").asc()]))
        .order_by()
        .values_list("pk", "balance")
    )
    # Rows are picked outside the window: picking them inside would leave the earlier ones out of the sum.
    sql, params = ledger.query.sql_with_params()
    pks = [m.pk for m in movements]
    with connection.cursor() as cursor:
        # The inner query names its columns after values_list's: pk, balance.
        cursor.execute(f"SELECT * FROM ({sql}) ledger WHERE ledger.pk IN ({', '.join(['%s'] * len(pks))})",
                       [*params, *pks])
        return dict(cursor.fetchall())


def warehouses():
    return Warehouse.objects.annotate(products=Count("levels", filter=Q(levels__on_hand__gt=0)))


def active_reservations(product):
    return (
        Reservation.objects.filter(level__product=product, status=Reservation.Status.ACTIVE)
        .select_related("level__warehouse")
        .order_by("-created_at")
    )


def low_stock():
    """Active products at or under their reorder point, with the units shipped in the last
    30 days and a suggested purchase: enough to get back over the reorder point and cover
    another 30 days at the same pace."""
    since = timezone.now() - timedelta(days=VELOCITY_DAYS)
    shipped = (
        Movement.objects.filter(product=OuterRef("pk"), kind=Movement.Kind.SALE, created_at__gte=since)
        .values("product").annotate(total=Sum("quantity")).values("total")
    )
    return (
        products()
        .filter(active=True, low=True)
        .annotate(sold_30=Coalesce(Subquery(shipped, output_field=IntegerField()), Value(0)))
        .annotate(suggested=Greatest(F("reorder_point") + F("sold_30") - F("available_total") + 1, Value(1)))
    )


def ledger_drift():
    """Levels whose quantities differ from what the ledger and the reservations add up to:
    a list of (level, {"field": (stored, expected)}). Empty when the books are right."""
    def moved(state):
        return Coalesce(Sum(Case(
            When(to_state=state, then=F("quantity")),
            When(from_state=state, then=-F("quantity")),
            default=Value(0),
        )), Value(0))

    ledger = {
        (row["product_id"], row["warehouse_id"]): row
        for row in Movement.objects.values("product_id", "warehouse_id").annotate(
            on_hand=Coalesce(Sum(Case(
                When(from_state="outside", then=F("quantity")),
                When(to_state="outside", then=-F("quantity")),
                default=Value(0),
            )), Value(0)),
            damaged=moved("damaged"),
            quality_control=moved("quality_control"),
            safety=moved("safety"),
        )
    }
    reserved = dict(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values("level_id")
        .annotate(total=Sum("quantity")).values_list("level_id", "total")
    )
    drift = []
    for level in StockLevel.objects.select_related("product", "warehouse").order_by("pk").iterator(chunk_size=2000):
        expected = ledger.get((level.product_id, level.warehouse_id), {})
        wrong = {}
        for field in ("on_hand", "damaged", "quality_control", "safety"):
            if getattr(level, field) != expected.get(field, 0):
                wrong[field] = (getattr(level, field), expected.get(field, 0))
        if level.reserved != reserved.get(level.pk, 0):
            wrong["reserved"] = (level.reserved, reserved.get(level.pk, 0))
        if wrong:
            drift.append((level, wrong))
    return drift
