"""What the fulfilment screens and documents read: the picking lines of a set of orders (from
their active stock reservations), and orders and parcels loaded with all their documents show,
in the order asked for."""

from dataclasses import dataclass

from django.db.models import Prefetch

from inventory.models import Reservation, Warehouse
from orders.models import Order

from .models import Shipment


@dataclass(frozen=True)
class PickLine:
    """Units of one product to take from one shelf location of one warehouse, and the numbers of
    the orders they go to."""

    warehouse: Warehouse
    location: str
    sku: str
    gtin: str
    name: str
    quantity: int
    orders: tuple[int, ...]


def picking_lines(orders) -> list[PickLine]:
    """What to pick for `orders`: their active reservations summed per (warehouse, location,
    product), walking the warehouses in priority order, then the shelves (units with no location
    last), then the SKUs. One query, whatever the number of orders."""
    numbers = {order.reference: order.number for order in orders}
    reservations = (Reservation.objects.filter(reference__in=numbers, status=Reservation.Status.ACTIVE)
                    .select_related("level__warehouse", "level__product"))
    lines: dict[tuple, dict] = {}
    for reservation in reservations:
        level = reservation.level
        line = lines.setdefault((level.warehouse_id, level.location, level.product_id), {
            "warehouse": level.warehouse, "location": level.location, "sku": level.product.sku,
            "gtin": level.product.gtin, "name": level.product.name, "quantity": 0, "orders": set()})
        line["quantity"] += reservation.quantity
        line["orders"].add(numbers[reservation.reference])
    picks = [PickLine(**{**line, "orders": tuple(sorted(line["orders"]))}) for line in lines.values()]
    return sorted(picks, key=lambda pick: (pick.warehouse.priority, pick.warehouse.code, not pick.location,
                                           pick.location, pick.sku))


def _as_given(queryset, wanted) -> list:
    """The rows of `queryset` whose pks are those of `wanted` (objects or pks), in `wanted`'s
    order, each once."""
    pks = list(dict.fromkeys(getattr(item, "pk", item) for item in wanted))
    rows = queryset.in_bulk(pks)
    return [rows[pk] for pk in pks if pk in rows]


def picking_orders(orders) -> list[Order]:
    """`orders` (objects or pks) with their customer and items, as the picking list shows them."""
    return _as_given(Order.objects.select_related("customer").prefetch_related("items"), orders)


def sale_invoices():
    """The authorized NF-e of sale, newest first: an order's parcels travel with its newest one."""
    from fiscal.models import Invoice

    return Invoice.objects.filter(status=Invoice.Status.AUTHORIZED,
                                  direction=Invoice.Direction.OUTGOING).order_by("-pk")


def order_invoice_of(order):
    """The order's authorized NF-e (the one its parcels travel with), None when it has none."""
    return sale_invoices().filter(order=order).first()


def document_shipments(shipments) -> list[Shipment]:
    """`shipments` (objects or pks) with what their labels and packing slips print: the order and
    its customer, the carrier and service, the items, and the order's authorized NF-e
    (`shipment.order.authorized_invoices`, newest first: its first is order_invoice_of's)."""
    queryset = (Shipment.objects.select_related("order__customer", "service__carrier")
                .prefetch_related("items__order_item",
                                  Prefetch("order__invoices", queryset=sale_invoices(), to_attr="authorized_invoices")))
    return _as_given(queryset, shipments)
