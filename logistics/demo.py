"""The demo's logistics: the carriers (Correios through its API — the sandbox in `make run` —,
Jadlog, Loggi and Total Express by their tables, the marketplaces' logistics, the own fleet and
pickup in store) with freight tables by CEP region and weight band, three boxes, the products'
shelves, and the parcels of the orders the orders demo shipped: each packed, shipped and followed
at the moments its order was, with its tracking history — delivered, a few returned to the sender,
the ones still on their way some late or after a failed attempt — and a few returns asked for
after delivery, at each step of their way."""

import random
import re
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from backoffice.demo import demo_seeder, happening, run_history
from backoffice.models import TimelineEvent
from backoffice.money import cents
from backoffice.states import record, transition
from inventory.models import StockLevel, Warehouse
from orders.models import Order
from orders.models import Status as OrderStatus

from . import returns
from . import services as shipping
from .models import (
    Box,
    Carrier,
    CarrierService,
    FreightRate,
    ReturnItem,
    ReturnRequest,
    Shipment,
    ShipmentItem,
    TrackingEvent,
    TrackingStatus,
)
from .quotes import business_days_after

MARKETPLACE = Carrier.Kind.MARKETPLACE
# CEP regions by their first digit: (name, price factor, extra days from São Paulo).
REGIONS = {0: ("SP capital", 1.0, 0), 1: ("SP interior", 1.15, 1), 2: ("RJ/ES", 1.35, 1), 3: ("MG", 1.35, 1),
           4: ("BA/SE", 1.7, 3), 5: ("PE/AL/PB/RN", 1.9, 4), 6: ("Norte/CE/PI/MA", 2.3, 6),
           7: ("Centro-Oeste", 1.7, 3), 8: ("PR/SC", 1.4, 2), 9: ("RS", 1.55, 2)}
BANDS = ["0.3", "1", "2", "5", "10", "20", "30"]
# (carrier code, name, kind, provider, cubic factor, tracking page, services: (code, name, base price,
# per kg, base days, handling days) — no base price: no table).
CARRIERS = [
    ("correios", "Correios", Carrier.Kind.CARRIER, "correios", 6000,
     "https://rastreamento.correios.com.br/app/index.php?objeto={code}",
     [("03220", "SEDEX", "21.90", "4.10", 1, 1), ("03298", "PAC", "15.40", "2.30", 4, 1)]),
    ("jadlog", "Jadlog", Carrier.Kind.CARRIER, "", 5000, "https://www.jadlog.com.br/tracking?cte={code}",
     [("package", ".Package", "14.90", "1.90", 3, 1)]),
    ("loggi", "Loggi", Carrier.Kind.CARRIER, "", 6000, "https://www.loggi.com/rastreador/{code}",
     [("express", "Loggi Express", "16.50", "2.60", 2, 1)]),
    ("total", "Total Express", Carrier.Kind.CARRIER, "", 6000, "https://tracking.totalexpress.com.br/poupup_track.php"
     "?reid=0&pedido={code}", [("std", "Standard", "15.90", "2.10", 3, 1)]),
    ("mercadoenvios", "Mercado Envios", MARKETPLACE, "", 6000, "", [("full", "Mercado Envios", None, None, 3, 1)]),
    ("amazon", "Amazon DBA", MARKETPLACE, "", 6000, "", [("dba", "Amazon DBA", None, None, 3, 1)]),
    ("shopee", "Shopee Xpress", MARKETPLACE, "", 6000, "", [("spx", "Shopee Xpress", None, None, 4, 1)]),
    ("magalu", "Magalu Entregas", MARKETPLACE, "", 6000, "", [("me", "Magalu Entregas", None, None, 4, 1)]),
    ("frota", "Frota própria", Carrier.Kind.OWN_FLEET, "", 6000, "", [("moto", "Motoboy", None, None, 1, 0)]),
    ("retirada", "Retirada na loja", Carrier.Kind.PICKUP, "", 6000, "", [("balcao", "Balcão", None, None, 0, 0)]),
]
# The demo's contract with the Correios sandbox (make run: LOGISTICS_SANDBOX), none of it real.
DEMO_CREDENTIALS = {"correios": {"user": "11222333000181", "access_code": "demo-access-code",
                                 "posting_card": "0067599079", "contract": "9912208555"}}
# How the orders demo named the carrier in its shipping note, and the service that means.
NOTED = {"Correios PAC": ("correios", "03298"), "Correios SEDEX": ("correios", "03220"),
         "Jadlog": ("jadlog", "package"), "Loggi": ("loggi", "express"), "Total Express": ("total", "std"),
         "Mercado Envios": ("mercadoenvios", "full"), "Amazon DBA": ("amazon", "dba"),
         "Shopee Xpress": ("shopee", "spx"), "Magalu Entregas": ("magalu", "me")}
NOTE = re.compile(r"^(?P<carrier>.+?) – rastreio (?P<code>\w+)$")
BOXES = [("Caixa P", "25", "18", "8", "0.150"), ("Caixa M", "32", "24", "14", "0.280"),
         ("Caixa G", "44", "32", "24", "0.450")]
SHIPPED = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED, OrderStatus.RETURNED)
PLACES = ["SAO PAULO/SP", "CAJAMAR/SP", "CAMPINAS/SP", "BELO HORIZONTE/MG", "RIO DE JANEIRO/RJ", "CURITIBA/PR"]
# Of the parcels still on their way: back to the sender after a failed attempt (of those out for
# more than 12 days), or after a failed attempt yesterday.
RETURNED_SHARE, FAILED_SHARE = 0.3, 0.2


def _tables():
    """The carriers, their services and their tables (when there are none)."""
    for code, name, kind, provider, factor, url, services in CARRIERS:
        carrier, _created = Carrier.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "provider": provider, "cubic_factor": factor, "tracking_url": url,
            "credentials": DEMO_CREDENTIALS.get(provider, {})})
        for service_code, service_name, base, per_kg, days, handling in services:
            service, created = CarrierService.objects.get_or_create(carrier=carrier, code=service_code, defaults={
                "name": service_name, "days": days, "handling_days": handling})
            if created and base is not None:
                FreightRate.objects.bulk_create([
                    FreightRate(service=service, cep_start=f"{digit}0000000", cep_end=f"{digit}9999999",
                                weight_up_to_kg=Decimal(band),
                                price=cents((Decimal(base) + Decimal(per_kg) * Decimal(band)) * Decimal(str(factor_))),
                                days=days + extra)
                    for digit, (_region, factor_, extra) in REGIONS.items() for band in BANDS])
    for name, length, width, height, weight in BOXES:
        Box.objects.get_or_create(name=name, defaults={"length_cm": Decimal(length), "width_cm": Decimal(width),
                                                       "height_cm": Decimal(height), "weight_kg": Decimal(weight)})


def _shelves(rnd):
    """Every stock level without a shelf gets one: aisle, shelf, bin."""
    levels = list(StockLevel.objects.filter(location="").order_by("warehouse__priority", "product__sku"))
    for position, level in enumerate(levels):
        level.location = f"{'ABCDEF'[position // 60 % 6]}-{position // 6 % 10 + 1:02d}-{position % 6 + 1}"
    StockLevel.objects.bulk_update(levels, ["location"])


def _moments(orders) -> dict:
    """Each order's shipped and delivered moments and its shipping note, from its timeline."""
    events = (TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order),
                                           object_id__in=[order.pk for order in orders],
                                           to_status__in=(OrderStatus.SHIPPED, OrderStatus.DELIVERED))
              .order_by("created_at", "pk"))
    moments = {}
    for event in events:
        moments.setdefault(event.object_id, {}).setdefault(event.to_status, (event.created_at,
                                                                             (event.params or {}).get("text", "")))
    return moments


def _story(order, moments, services, boxes, rnd, staff, now):
    """The steps of the parcel of an order shipped by the orders demo, each at its moment (`now`: the
    seeding's, the last a step may take — inside a step, the clock reads the step's moment)."""
    shipped_at, note = moments[OrderStatus.SHIPPED]
    noted = NOTE.match(note)
    carrier_code, service_code = NOTED.get(noted.group("carrier") if noted else "", ("correios", "03298"))
    service = services[(carrier_code, service_code)]
    code = noted.group("code") if noted else f"LB{order.pk:09d}BR"
    box = boxes[min(order.items.count() - 1, 2)]
    packed_at = shipped_at - timedelta(minutes=rnd.randint(20, 90))
    shipment = Shipment(order=order, service=service, box=box, created_by=staff, cost=Decimal("0"))
    yield packed_at - timedelta(minutes=rnd.randint(5, 15))
    shipment.save()
    ShipmentItem.objects.bulk_create([ShipmentItem(shipment=shipment, order_item=item, quantity=item.quantity,
                                                   packed=item.quantity) for item in order.items.all()])
    record(shipment, "shipment.packing", actor=staff, to_status=Shipment.Status.PACKING)
    yield packed_at
    weight = (sum((item.product.gross_weight_kg * item.quantity for item in order.items.select_related("product")),
                  Decimal(0)) + box.weight_kg).quantize(Decimal("0.001"))
    rate = (FreightRate.objects.filter(service=service, cep_start__lte=order.ship_cep, cep_end__gte=order.ship_cep,
                                       weight_up_to_kg__gte=weight).order_by("weight_up_to_kg").first())
    days = service.handling_days + (rate.days if rate else service.days)
    transition(shipment, Shipment.Status.PACKED, actor=staff, params={"weight": str(weight)}, changes={
        "weight_kg": weight, "length_cm": box.length_cm, "width_cm": box.width_cm, "height_cm": box.height_cm,
        "cost": rate.price if rate else Decimal("0"),
        "promised_on": business_days_after(timezone.localdate(packed_at), days)})
    yield shipped_at
    transition(shipment, Shipment.Status.SHIPPED, actor=staff, params={"carrier": service.carrier.name, "code": code},
               changes={"tracking_code": code, "shipped_at": shipped_at, "tracking_status": TrackingStatus.POSTED})
    delivered = moments.get(OrderStatus.DELIVERED)
    end = delivered[0] if delivered else now
    history = [(shipped_at + timedelta(hours=rnd.randint(2, 6)), "PO", TrackingStatus.POSTED, "Objeto postado")]
    step = history[0][0]
    while step + timedelta(hours=30) < end - timedelta(hours=10):
        step += timedelta(hours=rnd.randint(14, 30))
        history.append((step, "RO", TrackingStatus.IN_TRANSIT, "Objeto em trânsito - por favor aguarde"))
    if delivered:
        history.append((end - timedelta(hours=rnd.randint(3, 8)), "OEC", TrackingStatus.OUT_FOR_DELIVERY,
                        "Objeto saiu para entrega ao destinatário"))
        history.append((end, "BDE", TrackingStatus.DELIVERED, "Objeto entregue ao destinatário"))
    elif end - shipped_at > timedelta(days=12) and rnd.random() < RETURNED_SHARE:
        history.append((shipped_at + timedelta(days=4), "BDE", TrackingStatus.FAILED_ATTEMPT,
                        "Carteiro não atendido - entrega não realizada"))
        history.append((shipped_at + timedelta(days=11), "BDE", TrackingStatus.RETURNED,
                        "Objeto devolvido ao remetente"))
    elif end - shipped_at > timedelta(days=3) and rnd.random() < FAILED_SHARE:
        history.append((end - timedelta(hours=20), "BDE", TrackingStatus.FAILED_ATTEMPT,
                        "Carteiro não atendido - entrega não realizada"))
    history = sorted(event for event in history if event[0] <= now)
    for when, event_code, status, description in history:
        yield when
        TrackingEvent.objects.create(shipment=shipment, occurred_at=when, code=event_code, kind="01", status=status,
                                     description=description, place=rnd.choice(PLACES),
                                     source=TrackingEvent.Source.POLL, raw={})
        changes = {"tracking_status": status, "last_event_at": when}
        if status == TrackingStatus.DELIVERED:
            transition(shipment, Shipment.Status.DELIVERED, changes={**changes, "delivered_at": when})
        elif status == TrackingStatus.RETURNED:
            transition(shipment, Shipment.Status.RETURNED, changes=changes)
        else:
            Shipment.objects.filter(pk=shipment.pk).update(**changes)


def _returns(rnd, staff, log):
    """A few returns of delivered orders, asked for within the week, at each step of their way (once)."""
    if ReturnRequest.objects.exists():
        return
    orders = list(Order.objects.filter(status=OrderStatus.DELIVERED, return_requests__isnull=True,
                                       shipments__status=Shipment.Status.DELIVERED).distinct().order_by("-pk")[:40])
    main = Warehouse.objects.get(code="principal")
    made = 0
    for order in rnd.sample(orders, min(6, len(orders))):
        delivered = returns.delivered_at(order)
        latest = min(timezone.now() - timedelta(hours=1), delivered + timedelta(days=6))
        if latest <= delivered:
            continue
        start = delivered + (latest - delivered) * rnd.uniform(0.1, 0.6)
        steps = rnd.randint(0, 3)
        item = order.items.first()
        with happening(start):
            request = returns.return_request(order=order, quantities={item: 1}, by_customer=True,
                                             reason=rnd.choice([ReturnRequest.Reason.REGRET,
                                                                ReturnRequest.Reason.DEFECT]),
                                             details="Solicitado pela página de rastreio.")
        moment = start
        for number, step in enumerate(("approve", "receive", "inspect")):
            moment += timedelta(hours=rnd.randint(6, 40))
            if number >= steps or moment > timezone.now():
                break
            with happening(moment):
                if step == "approve":
                    returns.return_approve(request=request, user=staff)
                elif step == "receive":
                    returns.return_receive(request=request, user=staff, warehouse=main)
                else:
                    [returned] = request.items.all()
                    returns.return_inspect(request=request, user=staff, outcomes={returned: ReturnItem.Outcome.RESTOCK})
        made += 1
    log(f"{made} returns asked for, at their different steps")


@demo_seeder(order=50)
def seed_logistics(*, faker, log, **kwargs):
    """The carriers, tables and boxes, the shelves, the shipped orders' parcels and a few returns."""
    rnd = random.Random(faker.random.getrandbits(64))
    _tables()
    _shelves(rnd)
    staff = get_user_model().objects.filter(username="staff").first()
    by_code = {(service.carrier.code, service.code): service
               for service in CarrierService.objects.select_related("carrier")}
    boxes = list(Box.objects.order_by("length_cm"))
    orders = list(Order.objects.filter(status__in=SHIPPED, shipments__isnull=True).order_by("pk"))
    moments = _moments(orders)
    now = timezone.now()
    stories = [_story(order, moments[order.pk], by_code, boxes, rnd, staff, now)
               for order in orders if OrderStatus.SHIPPED in moments.get(order.pk, {})]
    run_history(stories)
    log(f"{len(stories)} parcels packed, shipped and followed")
    _returns(rnd, staff, log)
    _packing_now(staff, by_code, boxes, log)


def _packing_now(staff, services, boxes, log):
    """Two invoiced orders on the packing table now: one parcel half scanned, one packed (once)."""
    if Shipment.objects.filter(status__in=(Shipment.Status.PACKING, Shipment.Status.PACKED)).exists():
        return
    orders = list(Order.objects.filter(status=OrderStatus.INVOICED, shipments__isnull=True).order_by("-pk")[:2])
    for position, order in enumerate(orders):
        shipment = shipping.shipment_start(order=order, service=services[("correios", "03220")], user=staff,
                                           box=boxes[min(order.items.count() - 1, 2)])
        items = list(shipment.items.select_related("order_item"))
        for item in items if position else items[:1]:
            shipping.shipment_scan(shipment=shipment, code=item.order_item.sku, user=staff, quantity=item.quantity)
        if position:
            weight = sum((item.order_item.product.gross_weight_kg * item.quantity for item in items), Decimal("0.3"))
            shipping.shipment_pack(shipment=shipment, user=staff, weight_kg=weight)
    log(f"{len(orders)} parcels on the packing table")
