"""A parcel's life through logistics.services: started from an order released for shipping, each
unit scanned, packed (its price and promise from the table), shipped with its NF-e (the order
shipped, its stock consumed, the customer e-mailed), its tracking events kept once, and delivered
(the order delivered, the survey queued)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from backoffice.states import TransitionRefused, events_of
from inventory.models import Movement, StockLevel
from logistics import services
from logistics.models import Shipment, TrackingEvent, TrackingStatus
from logistics.providers import ReportedEvent

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def scan_all(shipment, user):
    for item in shipment.items.select_related("order_item__product"):
        for _unit in range(item.quantity):
            services.shipment_scan(shipment=shipment, code=item.order_item.product.gtin or item.order_item.sku,
                                   user=user)


def event(code, status, when, kind="01"):
    return ReportedEvent(tracking_code="X", occurred_at=when, code=code, kind=kind, status=status,
                         description=code, place="SAO PAULO/SP", raw={"codigo": code, "tipo": kind})


@pytest.fixture
def packed(invoiced_order, carriers, boxes, packer, time_machine):
    """The invoiced order's parcel in the small box, Jadlog .Package, packed on Wednesday 2026-12-02."""
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer, box=boxes[0])
    scan_all(shipment, packer)
    return services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.750"))


def test_a_parcel_takes_every_unit_not_yet_in_another(invoiced_order, carriers, packer):
    first = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    assert sorted((item.order_item.sku, item.quantity) for item in first.items.all()) == [("BONE-PT", 1),
                                                                                          ("CAM-AZ-M", 2)]
    with pytest.raises(services.ShippingError, match="já estão em um volume"):
        services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    services.shipment_cancel(shipment=first, user=packer)
    again = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    assert again.items.count() == 2


def test_scanning_counts_units_by_gtin_or_sku_and_refuses_others(invoiced_order, carriers, packer):
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    shirt = services.shipment_scan(shipment=shipment, code=" cam-az-m ", user=packer)  # typed, in lower case
    assert shirt.packed == 1
    assert services.shipment_scan(shipment=shipment, code=shirt.order_item.product.gtin, user=packer).packed == 2
    with pytest.raises(services.ShippingError, match="já estão no volume"):
        services.shipment_scan(shipment=shipment, code="CAM-AZ-M", user=packer)
    with pytest.raises(services.ShippingError, match="não é um item deste pedido"):
        services.shipment_scan(shipment=shipment, code="7891000100103", user=packer)
    with pytest.raises(services.ShippingError, match="Ainda falta conferir: 1 × BONE-PT"):
        services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("1"), length_cm=Decimal("20"),
                               width_cm=Decimal("20"), height_cm=Decimal("10"))


def test_packing_prices_the_parcel_and_promises_in_business_days(packed):
    # 25 × 18 × 8 cm ÷ 5000 = 0.72 kg cubic, 0.750 kg real: the 1 kg band to São Paulo, R$ 14,00, 3 days,
    # plus a day's handling: 4 business days after Wednesday 2026-12-02 is Tuesday 2026-12-08.
    assert packed.status == Shipment.Status.PACKED
    assert packed.cost == Decimal("14.00")
    assert packed.promised_on == date(2026, 12, 8)
    assert (packed.length_cm, packed.width_cm, packed.height_cm) == (Decimal("25"), Decimal("18"), Decimal("8"))


def test_a_parcel_the_table_does_not_take_is_refused(invoiced_order, carriers, packer):
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer)
    scan_all(shipment, packer)
    with pytest.raises(services.ShippingError, match="não leva este volume"):
        services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("31"), length_cm=Decimal("20"),
                               width_cm=Decimal("20"), height_cm=Decimal("10"))
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKING


def test_shipping_the_last_parcel_ships_the_order_and_consumes_its_stock(packed, packer, run_queued_tasks):
    order = packed.order
    reserved = sum(StockLevel.objects.values_list("reserved", flat=True))
    mail.outbox.clear()  # the NF-e's
    with run_queued_tasks():
        shipment = services.shipment_ship(shipment=packed, user=packer, tracking_code=" jd 123 456 ")
    assert shipment.status == Shipment.Status.SHIPPED and shipment.tracking_code == "JD123456"
    order.refresh_from_db()
    assert order.status == "shipped"
    assert sum(StockLevel.objects.values_list("reserved", flat=True)) == reserved - 3
    assert Movement.objects.filter(kind=Movement.Kind.SALE, reference=order.reference).count() == 2
    [message] = mail.outbox
    assert order.customer.email in message.to and "JD123456" in message.body
    assert "https://www.jadlog.com.br/tracking?cte=JD123456" in message.body
    assert [e.code for e in events_of(shipment)] == ["shipment.packing", "shipment.packed", "shipment.shipped"]


def test_an_order_without_its_nfe_does_not_ship(consumer_order, carriers, packer):
    shipment = services.shipment_start(order=consumer_order, service=carriers["own"], user=packer)
    scan_all(shipment, packer)
    services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.6"), length_cm=Decimal("20"),
                           width_cm=Decimal("20"), height_cm=Decimal("10"))
    with pytest.raises(services.ShippingError, match="ainda não tem NF-e autorizada"):
        services.shipment_ship(shipment=shipment, user=packer)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKED


def test_tracking_events_are_kept_once_and_delivery_delivers_the_order(packed, packer,
                                                                      django_capture_on_commit_callbacks):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    assert shipment.tracking_code == f"LB{shipment.pk:09d}BR"  # no code typed: ours
    posted = event("PO", TrackingStatus.POSTED, datetime(2026, 12, 2, 15, 0, tzinfo=SAO_PAULO))
    moving = event("RO", TrackingStatus.IN_TRANSIT, datetime(2026, 12, 3, 9, 0, tzinfo=SAO_PAULO))
    assert services.tracking_record(shipment=shipment, events=[posted, moving], source="poll") == 2
    assert services.tracking_record(shipment=shipment, events=[moving, posted], source="webhook") == 0
    shipment.refresh_from_db()
    assert shipment.tracking_status == TrackingStatus.IN_TRANSIT and shipment.status == Shipment.Status.SHIPPED
    delivered = event("BDE", TrackingStatus.DELIVERED, datetime(2026, 12, 4, 17, 3, tzinfo=SAO_PAULO))
    with django_capture_on_commit_callbacks() as queued:
        assert services.tracking_record(shipment=shipment, events=[delivered], source="webhook") == 1
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED
    assert shipment.delivered_at == datetime(2026, 12, 4, 17, 3, tzinfo=SAO_PAULO)
    shipment.order.refresh_from_db()
    assert shipment.order.status == "delivered"
    assert queued  # the survey goes out after commit
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 3
    # An older event reported late changes the history, not the end.
    late = event("OEC", TrackingStatus.OUT_FOR_DELIVERY, datetime(2026, 12, 4, 8, 0, tzinfo=SAO_PAULO))
    assert services.tracking_record(shipment=shipment, events=[late], source="poll") == 1
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.tracking_status == TrackingStatus.DELIVERED


def test_a_shipped_parcel_is_not_reopened(packed, packer):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    with pytest.raises(TransitionRefused):
        services.shipment_reopen(shipment=shipment, user=packer)


def test_staff_record_the_delivery_of_a_parcel_without_tracking(packed, packer, time_machine):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    with pytest.raises(services.ShippingError, match="depois da saída do volume"):
        services.shipment_record_delivery(shipment=shipment, user=packer,
                                          when=datetime(2026, 12, 1, 9, 0, tzinfo=SAO_PAULO))
    time_machine.move_to(datetime(2026, 12, 3, 11, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_record_delivery(shipment=shipment, user=packer)
    assert shipment.status == Shipment.Status.DELIVERED
    [delivered] = shipment.tracking_events.filter(status=TrackingStatus.DELIVERED)
    assert delivered.source == TrackingEvent.Source.STAFF and packer.get_full_name() in delivered.description
    shipment.order.refresh_from_db()
    assert shipment.order.status == "delivered"
    with pytest.raises(services.ShippingError, match="só um volume a caminho"):
        services.shipment_record_delivery(shipment=shipment, user=packer)
