"""Every change to the catalog and to stock.

Stock only changes through `_move` (one ledger row and the matching level update) and the
reservation services. Level updates are conditional `UPDATE ... WHERE <enough units>`
statements: on PostgreSQL a concurrent update waits for the row lock and re-checks the
condition on the committed row, so two buyers can never both take the last unit; the
check constraints on StockLevel are the last line of defence.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Sum
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import audit_record
from backoffice.money import cents
from backoffice.timeline import render

from .models import (
    AVAILABLE,
    AVAILABLE_SQL,
    MAX_QUANTITY,
    Movement,
    Product,
    ReorderAlert,
    Reservation,
    State,
    StockLevel,
    Warehouse,
)
from .selectors import low_stock
from .signals import reorder_checked, stock_changed

# The StockLevel column holding each non-sellable state.
STATE_COLUMN = {State.DAMAGED: "damaged", State.QUALITY_CONTROL: "quality_control", State.SAFETY: "safety"}
# What the audit log compares when a product changes.
PRODUCT_FIELDS = [f.attname for f in Product._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")]


class InventoryError(Exception):
    """A refused stock operation; the message is meant for the user. One an order keeps (why
    it waits for stock) also has a code and its parameters, declared in inventory.models, so
    it is read later in the reader's language; its message is then that code's text."""

    def __init__(self, message: str = "", *, code: str = "", params: dict | None = None):
        self.code, self.params = code, params or {}
        super().__init__(message or render(code, self.params))


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


class InsufficientStock(InventoryError):
    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__(code="inventory.short", params={"detail": [
            {"code": "inventory.shortage", "params": {"sku": s.sku, "requested": s.requested, "available": s.available}}
            for s in shortages
        ]})


@dataclass(frozen=True)
class ReservationLine:
    line: str
    product_id: int
    quantity: int


def _snapshot(product):
    values = {field: getattr(product, field) for field in PRODUCT_FIELDS}
    return {field: value.name if isinstance(value, FieldFile) else value for field, value in values.items()}


# Catalog ---------------------------------------------------------------------


def product_save(*, product: Product, user) -> Product:
    """Create or update a product (already validated by its form) and audit the change."""
    with transaction.atomic():
        before = _snapshot(Product.objects.get(pk=product.pk)) if product.pk else {}
        product.save()
        audit_record(
            actor=user, action="product.update" if before else "product.create", obj=product,
            before=before, after=_snapshot(product),
        )
    return product


def product_set_active(*, product: Product, active: bool, user) -> Product:
    with transaction.atomic():
        updated = Product.objects.filter(pk=product.pk, active=not active).update(active=active)
        product.refresh_from_db()
        if updated:
            audit_record(
                actor=user, action="product.activate" if active else "product.deactivate", obj=product,
                before={"active": not active}, after={"active": active},
            )
    return product


def warehouse_save(*, warehouse: Warehouse, user) -> Warehouse:
    """Create or update a warehouse; the last active one cannot be deactivated."""
    with transaction.atomic():
        others_active = Warehouse.objects.select_for_update().filter(active=True).exclude(pk=warehouse.pk).exists()
        if not warehouse.active and not others_active:
            raise InventoryError(_("The store needs at least one active warehouse."))
        before = (
            {f: getattr(Warehouse.objects.get(pk=warehouse.pk), f) for f in ("code", "name", "priority", "active")}
            if warehouse.pk else {}
        )
        warehouse.save()
        after = {f: getattr(warehouse, f) for f in ("code", "name", "priority", "active")}
        audit_record(actor=user, action="warehouse.update" if before else "warehouse.create", obj=warehouse,
                     before=before, after=after)
    return warehouse


def reorder_check(*, day) -> int:
    """Flag every product at or under its reorder point today, with a suggested purchase.
    Running it again the same day refreshes the flags instead of adding more."""
    with transaction.atomic():
        flagged = list(low_stock().values_list("pk", "available_total", "reorder_point", "sold_30", "suggested"))
        ReorderAlert.objects.filter(day=day).delete()
        ReorderAlert.objects.bulk_create([
            ReorderAlert(product_id=pk, day=day, available=available, reorder_point=point,
                         sold_last_30_days=sold, suggested_quantity=suggested)
            for pk, available, point, sold, suggested in flagged
        ])
        reorder_checked.send(sender=ReorderAlert, day=day)
    return len(flagged)


# Stock movements -------------------------------------------------------------


def _notify_after_commit(level_ids):
    """Send `stock_changed` for these levels once the transaction has committed (and only
    when someone listens: this runs on every reservation)."""
    if not stock_changed.has_listeners(StockLevel):
        return

    def send():
        rows = StockLevel.objects.filter(pk__in=level_ids).annotate(free=AVAILABLE).values_list(
            "product__sku", "warehouse__code", "free"
        )
        for sku, warehouse, available in rows:
            # A failing listener (a marketplace push) must not turn a committed change into an error.
            stock_changed.send_robust(sender=StockLevel, sku=sku, warehouse=warehouse, available=available)

    transaction.on_commit(send, robust=True)


def _level(product, warehouse) -> StockLevel:
    level, _ = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
    return level


def _lock_levels(product, warehouses) -> list[StockLevel]:
    """Lock the product's levels in these warehouses in pk order, the order every writer of
    several levels uses, so that two of them cannot deadlock; returns them as locked."""
    pks = [_level(product, warehouse).pk for warehouse in warehouses]
    return list(StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk"))


def _move(*, product, warehouse, kind, quantity, from_state, to_state, user=None, reason="", reference="",
          supplier="", unit_cost=None, transfer_pair=None, reserved=False) -> Movement:
    """Write one ledger row and apply it to the level, refusing to take units that are not
    there. With `reserved`, the sellable units taken are reserved ones (a shipment)."""
    if quantity is None or int(quantity) <= 0:
        raise InventoryError(_("The quantity must be a whole number greater than zero."))
    if quantity > MAX_QUANTITY:
        raise InventoryError(_("At most %(max)d units per operation.") % {"max": MAX_QUANTITY})
    if from_state == to_state:
        raise InventoryError(_("A movement must change the units' state."))
    level = _level(product, warehouse)
    changes = {}
    enough = {}
    if from_state == State.OUTSIDE:
        changes["on_hand"] = F("on_hand") + quantity
    elif to_state == State.OUTSIDE:
        changes["on_hand"] = F("on_hand") - quantity
    if from_state == State.SELLABLE and reserved:
        changes["reserved"] = F("reserved") - quantity
        enough["reserved__gte"] = quantity
    elif from_state == State.SELLABLE:
        enough["free__gte"] = quantity
    elif from_state in STATE_COLUMN:
        column = STATE_COLUMN[from_state]
        changes[column] = F(column) - quantity
        enough[f"{column}__gte"] = quantity
    if to_state in STATE_COLUMN:
        column = STATE_COLUMN[to_state]
        changes[column] = F(column) + quantity
    updated = (
        StockLevel.objects.filter(pk=level.pk).annotate(free=AVAILABLE).filter(**enough).update(**changes)
    )
    if not updated:
        level.refresh_from_db()
        if from_state == State.SELLABLE:
            have = level.reserved if reserved else level.available
        else:
            have = getattr(level, STATE_COLUMN[from_state])
        raise InventoryError(
            _("%(sku)s at %(warehouse)s: %(quantity)d requested but only %(have)d %(state)s.")
            % {"sku": product.sku, "warehouse": warehouse, "quantity": quantity, "have": have,
               "state": State(from_state).label}
        )
    # Each row carries the cost its units moved at: a receipt's own, every other move's the product's
    # average cost then (the ledger values the stock at average cost, as the kardex shows it).
    movement = Movement.objects.create(
        product=product, warehouse=warehouse, kind=kind, quantity=quantity, from_state=from_state,
        to_state=to_state, reason=reason, reference=reference, supplier=supplier,
        unit_cost=product.cost if unit_cost is None else unit_cost,
        user=user if user is not None and user.is_authenticated else None, transfer_pair=transfer_pair,
    )
    _notify_after_commit([level.pk])
    return movement


def stock_receive(*, product, warehouse, quantity: int, unit_cost: Decimal, user, supplier="", reference="",
                  to_state=State.SELLABLE) -> Movement:
    """Goods received from a supplier; the product's average cost takes them in."""
    if unit_cost is None or unit_cost < 0:
        raise InventoryError(_("The unit cost must be zero or more."))
    with transaction.atomic():
        # NO KEY: ledger rows referencing the product (other shipments) need not wait.
        product = Product.objects.select_for_update(no_key=True).get(pk=product.pk)
        held = StockLevel.objects.filter(product=product).aggregate(total=Sum("on_hand"))["total"] or 0
        movement = _move(
            product=product, warehouse=warehouse, kind=Movement.Kind.RECEIPT, quantity=quantity,
            from_state=State.OUTSIDE, to_state=to_state, user=user, supplier=supplier, reference=reference,
            unit_cost=unit_cost,
        )
        average = (product.cost * held + unit_cost * quantity) / (held + quantity)
        Product.objects.filter(pk=product.pk).update(
            cost=cents(average)
        )
    return movement


def stock_adjust(*, product, warehouse, counted: int, user, reason="", reference="") -> Movement | None:
    """A count found `counted` units on hand: the sellable quantity takes the difference.
    Returns None when the count matches."""
    if counted is None or counted < 0:
        raise InventoryError(_("The counted quantity must be zero or more."))
    with transaction.atomic():
        # Read under the lock: a difference taken from a stale level (another count or a
        # shipment committed meanwhile) would leave something other than `counted` on hand.
        (level,) = _lock_levels(product, [warehouse])
        difference = counted - level.on_hand
        if difference == 0:
            return None
        return _move(
            product=product, warehouse=warehouse, kind=Movement.Kind.ADJUSTMENT, quantity=abs(difference),
            from_state=State.OUTSIDE if difference > 0 else State.SELLABLE,
            to_state=State.SELLABLE if difference > 0 else State.OUTSIDE,
            user=user, reason=reason or _("cycle count"), reference=reference,
        )


def stock_write_off(*, product, warehouse, quantity: int, user, reason: str, from_state=State.DAMAGED) -> Movement:
    """Units lost or destroyed leave the stock."""
    with transaction.atomic():
        return _move(
            product=product, warehouse=warehouse, kind=Movement.Kind.WRITE_OFF, quantity=quantity,
            from_state=from_state, to_state=State.OUTSIDE, user=user, reason=reason,
        )


def stock_change_state(*, product, warehouse, quantity: int, from_state, to_state, user, reason="",
                       reference="") -> Movement:
    """Units change state inside a warehouse (e.g. quality control → sellable or damaged)."""
    if State.OUTSIDE in (from_state, to_state):
        raise InventoryError(_("Use a receipt, return, adjustment or write-off to bring units in or out."))
    with transaction.atomic():
        return _move(
            product=product, warehouse=warehouse, kind=Movement.Kind.STATE_CHANGE, quantity=quantity,
            from_state=from_state, to_state=to_state, user=user, reason=reason, reference=reference,
        )


def stock_return(*, product, warehouse, quantity: int, user, reference="", reason="",
                 to_state=State.QUALITY_CONTROL) -> Movement:
    """A returned unit comes back, into quality control unless said otherwise."""
    with transaction.atomic():
        return _move(
            product=product, warehouse=warehouse, kind=Movement.Kind.RETURN, quantity=quantity,
            from_state=State.OUTSIDE, to_state=to_state, user=user, reference=reference, reason=reason,
        )


def stock_transfer(*, product, source, destination, quantity: int, user, reason="") -> tuple[Movement, Movement]:
    """Sellable units go from one warehouse to another: two linked ledger rows."""
    if source == destination:
        raise InventoryError(_("Choose two different warehouses."))
    with transaction.atomic():
        _lock_levels(product, [source, destination])
        out = _move(
            product=product, warehouse=source, kind=Movement.Kind.TRANSFER_OUT, quantity=quantity,
            from_state=State.SELLABLE, to_state=State.OUTSIDE, user=user, reason=reason,
            reference=f"transfer:{destination.code}",
        )
        into = _move(
            product=product, warehouse=destination, kind=Movement.Kind.TRANSFER_IN, quantity=quantity,
            from_state=State.OUTSIDE, to_state=State.SELLABLE, user=user, reason=reason,
            reference=f"transfer:{source.code}", transfer_pair=out,
        )
    return out, into


# Reservations ----------------------------------------------------------------

# The lines a reservation query (`%s`) finds, as one value of another query's rows.
DONE_LINES = {"postgresql": "ARRAY(%s)", "sqlite": "(SELECT json_group_array(line) FROM (%s))"}


def _lines(value) -> list[str]:
    """DONE_LINES's value as a list: PostgreSQL's array arrives as one, SQLite's JSON as text."""
    return json.loads(value) if isinstance(value, str) else value

@contextmanager
def _reservation_cursor():
    """A cursor and its `execute`. On PostgreSQL psycopg's own, whose statements are prepared
    once per connection and shape (Django's binds on the client: they would be planned on every
    call), its errors raised as Django's; on SQLite Django's."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor, cursor.execute
        return
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        yield cursor, partial(cursor.execute, prepare=True)


def stock_reserve(*, reference: str, lines: list[ReservationLine],
                  warehouse: Warehouse | None = None) -> list[Reservation]:
    """Reserve every line, from the warehouses in priority order (or only `warehouse`), or
    nothing: raises InsufficientStock listing each short SKU. Reserving a line of
    `reference` that is already reserved changes nothing.

    Returns every active reservation of `reference`. The hot path of every order, so it is
    a few plain SQL statements: an advisory lock on `reference` with the products, then the
    levels locked in pk order (concurrent orders cannot deadlock) with the lines already
    reserved, the plan made on the locked numbers, and the levels' UPDATE and the reservations'
    INSERT (one statement on PostgreSQL)."""
    seen = set()
    for line in lines:
        if line.quantity is None or not 0 < line.quantity <= MAX_QUANTITY:
            raise InventoryError(code="inventory.line_quantity", params={"line": line.line, "max": MAX_QUANTITY})
        if line.line in seen:
            raise InventoryError(code="inventory.line_twice", params={"line": line.line})
        seen.add(line.line)
    ops = connection.ops
    level_table, warehouse_table, product_table, reservation_table = (
        ops.quote_name(model._meta.db_table) for model in (StockLevel, Warehouse, Product, Reservation)
    )
    with transaction.atomic(), _reservation_cursor() as (cursor, execute):
        product_ids = sorted({line.product_id for line in lines})
        in_list = ", ".join(["%s"] * len(product_ids))
        product_sql = f"SELECT id, sku, active FROM {product_table} WHERE id IN ({in_list})"
        if connection.vendor == "postgresql":
            # Two tries of the same order wait for each other here (SQLite runs one writer at
            # a time); the next statement then sees what the other try committed.
            product_sql = product_sql.replace(" FROM", ", pg_advisory_xact_lock(hashtext(%s)) FROM", 1)
            execute(product_sql, [reference, *product_ids])
        else:
            execute(product_sql, product_ids)
        products = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        unknown = [pk for pk in product_ids if pk not in products]
        if unknown:
            raise InventoryError(code="inventory.unknown_product", params={"ids": ", ".join(map(str, unknown))})
        inactive = sorted(products[pk][0] for pk in product_ids if not products[pk][1])
        if inactive:
            raise InventoryError(code="inventory.inactive_product", params={"skus": ", ".join(inactive)})
        # The levels of every line's product, locked, and the lines of `reference` already reserved
        # (read after the advisory lock above: a try of the same order just committed is seen).
        done_sql = f"SELECT line FROM {reservation_table} WHERE reference = %s AND status = %s"
        done_params = [reference, Reservation.Status.ACTIVE]
        sql = (
            f"SELECT s.id, s.product_id, w.priority, w.id, {AVAILABLE_SQL}, {DONE_LINES[connection.vendor] % done_sql}"
            f" FROM {level_table} s JOIN {warehouse_table} w ON w.id = s.warehouse_id"
            f" WHERE s.product_id IN ({in_list}) AND w.active"
        )
        params = [*done_params, *product_ids]
        if warehouse is not None:
            sql += " AND w.id = %s"
            params.append(warehouse.pk)
        sql += " ORDER BY s.id"
        if connection.features.has_select_for_update_of:
            sql += " FOR UPDATE OF s"
        execute(sql, params)
        rows = cursor.fetchall()
        if rows:
            done = set(_lines(rows[0][5]))
        else:  # no level to lock: the reserved lines are read alone
            execute(done_sql, done_params)
            done = {row[0] for row in cursor.fetchall()}
        todo = [line for line in lines if line.line not in done]
        if not todo:
            return list(Reservation.objects.filter(reference=reference, status=Reservation.Status.ACTIVE))
        todo_products = {line.product_id for line in todo}
        free = {}
        for pk, product_id, _priority, _warehouse, available, _done in sorted(rows, key=lambda r: (r[2], r[3])):
            if product_id in todo_products:
                free.setdefault(product_id, []).append([pk, available])

        plan, shortages = [], []
        for line in todo:
            wanted = line.quantity
            for slot in free.get(line.product_id, []):
                take = min(wanted, slot[1])
                if take > 0:
                    plan.append((slot[0], line.line, take))
                    slot[1] -= take
                    wanted -= take
                if wanted == 0:
                    break
            if wanted:
                shortages.append((line.product_id, line.quantity, line.quantity - wanted))
        if shortages:
            raise InsufficientStock([Shortage(products[p][0], requested, got) for p, requested, got in shortages])

        taken = {}
        for level_pk, _line, quantity in plan:
            taken[level_pk] = taken.get(level_pk, 0) + quantity
        update_sql = (f"UPDATE {level_table} SET reserved = reserved + CASE id"
                      f" {' '.join(['WHEN %s THEN %s'] * len(taken))} ELSE 0 END"
                      f" WHERE id IN ({', '.join(['%s'] * len(taken))})")
        update_params = [value for pair in taken.items() for value in pair] + list(taken)
        now = timezone.now()
        insert_sql = (f"INSERT INTO {reservation_table} (reference, line, level_id, quantity, status, created_at)"
                      f" VALUES {', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(plan))}"
                      " RETURNING id, line, level_id, quantity")
        insert_params = [value for level_pk, line, quantity in plan for value in (
            reference, line, level_pk, quantity, Reservation.Status.ACTIVE, ops.adapt_datetimefield_value(now))]
        if connection.vendor == "postgresql":
            # One round trip: the levels' UPDATE runs as a part of the INSERT's statement.
            execute(f"WITH taken AS ({update_sql}) {insert_sql}", update_params + insert_params)
        else:
            execute(update_sql, update_params)
            execute(insert_sql, insert_params)
        created = [
            Reservation(pk=pk, reference=reference, line=line, level_id=level_pk, quantity=quantity,
                        status=Reservation.Status.ACTIVE, created_at=now)
            for pk, line, level_pk, quantity in cursor.fetchall()
        ]
        _notify_after_commit(taken)
        if done:
            return list(Reservation.objects.filter(reference=reference, status=Reservation.Status.ACTIVE))
        return created


def _close(reference, lines=None):
    active = Reservation.objects.select_for_update(of=("self",)).filter(
        reference=reference, status=Reservation.Status.ACTIVE
    )
    if lines is not None:
        active = active.filter(line__in=lines)
    # Lock in level order, as reserving does.
    return list(active.select_related("level__product", "level__warehouse").order_by("level_id", "pk"))


def stock_release(*, reference: str, lines: list[str] | None = None) -> int:
    """Give back the units reserved for `reference` (all its lines, or only `lines`).
    Returns how many units were released; releasing twice releases nothing more."""
    with transaction.atomic():
        reservations = _close(reference, lines)
        for reservation in reservations:
            StockLevel.objects.filter(pk=reservation.level_id).update(reserved=F("reserved") - reservation.quantity)
        Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
            status=Reservation.Status.RELEASED, closed_at=timezone.now()
        )
        _notify_after_commit({r.level_id for r in reservations})
    return sum(r.quantity for r in reservations)


def stock_consume(*, reference: str, user=None, lines: list[str] | None = None) -> list[Movement]:
    """The reserved units shipped: each reservation becomes a sale row in the ledger and
    leaves both `reserved` and `on_hand`. Consuming twice changes nothing."""
    with transaction.atomic():
        reservations = _close(reference, lines)
        movements = [
            _move(
                product=r.level.product, warehouse=r.level.warehouse, kind=Movement.Kind.SALE, quantity=r.quantity,
                from_state=State.SELLABLE, to_state=State.OUTSIDE, reserved=True, user=user,
                reference=reference,
            )
            for r in reservations
        ]
        Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
            status=Reservation.Status.CONSUMED, closed_at=timezone.now()
        )
    return movements
