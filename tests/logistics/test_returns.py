"""A return from the customer's request to the shelf and the refund: approved with a reverse code,
received, inspected (the T-shirts back to stock, the cap written off), then closed by finance — the
return NF-e authorized against the sale's, the refund through the payments service — and the stock
ledger, the cash flow and the fiscal book reflect it."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from backoffice.states import events_of
from fiscal.books import Book, Period
from fiscal.models import Invoice
from inventory.models import Movement, StockLevel, Warehouse
from logistics import returns, services
from logistics.models import ReturnItem, ReturnRequest, TrackingStatus
from logistics.providers import ReportedEvent
from payments.models import CashEntry, Payment

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DELIVERED = datetime(2026, 12, 4, 17, 0, tzinfo=SAO_PAULO)


@pytest.fixture
def delivered_order(invoiced_order, carriers, boxes, packer, time_machine):
    """The invoiced order packed, shipped by Jadlog and delivered on 2026-12-04 17:00."""
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer, box=boxes[0])
    for item in shipment.items.select_related("order_item"):
        services.shipment_scan(shipment=shipment, code=item.order_item.sku, user=packer, quantity=item.quantity)
    services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.8"))
    shipment = services.shipment_ship(shipment=shipment, user=packer, tracking_code="JD1")
    time_machine.move_to(DELIVERED + timedelta(minutes=5))
    services.tracking_record(shipment=shipment, source="webhook", events=[ReportedEvent(
        tracking_code="JD1", occurred_at=DELIVERED, code="ENTREGUE", kind="", status=TrackingStatus.DELIVERED)])
    invoiced_order.refresh_from_db()
    assert invoiced_order.status == "delivered"
    return invoiced_order


def quantities(order):
    return {item: item.quantity for item in order.items.all()}


def level(product):
    return StockLevel.objects.get(product=product, warehouse__code="principal")


def test_a_return_goes_from_request_to_stock_refund_and_return_nfe(sefaz, delivered_order, products, packer, issuer,
                                                                   run_queued_tasks, time_machine):
    shirt, cap = products
    time_machine.move_to(DELIVERED + timedelta(days=3))
    request = returns.return_request(order=delivered_order, quantities=quantities(delivered_order),
                                     reason=ReturnRequest.Reason.REGRET, details="Não serviu.", by_customer=True)
    request = returns.return_approve(request=request, user=packer)
    assert request.reverse_code == f"LR{request.pk:09d}BR"
    before = {product: (level(product).on_hand, level(product).available) for product in products}
    request = returns.return_receive(request=request, user=packer, warehouse=Warehouse.objects.get(code="principal"))
    items = {item.order_item.product: item for item in request.items.select_related("order_item__product")}
    request = returns.return_inspect(request=request, user=packer, outcomes={
        items[shirt]: ReturnItem.Outcome.RESTOCK, items[cap]: (ReturnItem.Outcome.WRITE_OFF, "Aba amassada")})
    # The T-shirts are sellable again; the cap came back and left as a write-off.
    assert (level(shirt).on_hand, level(shirt).available) == (before[shirt][0] + 2, before[shirt][1] + 2)
    assert level(cap).on_hand == before[cap][0] and level(cap).damaged == 0
    ledger = Movement.objects.filter(reference=f"return:{request.pk}")
    assert sorted((m.product.sku, m.kind, m.quantity) for m in ledger) == [("BONE-PT", "return", 1),
                                                                         ("CAM-AZ-M", "return", 2)]
    assert Movement.objects.filter(product=cap, kind=Movement.Kind.WRITE_OFF, quantity=1).count() == 1

    value = returns.return_value(request)
    assert value == delivered_order.items_total - delivered_order.discount_total  # every unit came back
    with run_queued_tasks():
        request = returns.return_close(request=request, user=issuer, refund=value)
    request.refresh_from_db()
    assert request.status == ReturnRequest.Status.CLOSED and request.refunded == value
    nfe = Invoice.objects.get(pk=request.return_invoice_id)
    assert nfe.status == Invoice.Status.AUTHORIZED and nfe.direction == Invoice.Direction.INCOMING
    assert nfe.refers_to.order == delivered_order
    assert sorted((item.sku, item.quantity) for item in nfe.items.all()) == [("BONE-PT", 1), ("CAM-AZ-M", 2)]
    payment = Payment.objects.get(order=delivered_order)
    assert payment.refunded == value
    # The cash flow: what the payment will still settle shrinks by the refund (it had not settled yet).
    assert sum(receivable.gross for receivable in payment.receivables.all()) == payment.gross - value
    assert not CashEntry.objects.filter(payment=payment, category=CashEntry.Category.REFUNDS).exists()
    # The month's book of incoming NF-e lists the return.
    book = Book("incoming", Period.month(date(2026, 12, 1)))
    assert [invoice.pk for invoice in book.invoices] == [nfe.pk]
    delivered_order.refresh_from_db()
    assert delivered_order.status == "returned" and delivered_order.refunded_amount == value
    assert [e.code for e in events_of(request)] == ["returnrequest.requested", "returnrequest.approved",
                                                    "returnrequest.received", "returnrequest.inspected",
                                                    "returnrequest.closed"]


def test_the_customer_has_seven_days_to_change_their_mind(delivered_order, time_machine):
    time_machine.move_to(DELIVERED + timedelta(days=7, minutes=1))
    with pytest.raises(returns.ReturnError, match="prazo de 7 dias para pedir esta devolução terminou em 11/12/2026"):
        returns.return_request(order=delivered_order, quantities=quantities(delivered_order),
                               reason=ReturnRequest.Reason.REGRET, by_customer=True)
    # A defect has 90 days; staff may take any return back.
    assert returns.return_request(order=delivered_order, quantities=quantities(delivered_order),
                                  reason=ReturnRequest.Reason.DEFECT, by_customer=True)


def test_no_more_units_come_back_than_were_sold(delivered_order, packer):
    shirt_item = delivered_order.items.get(sku="CAM-AZ-M")
    returns.return_request(order=delivered_order, quantities={shirt_item: 1}, reason=ReturnRequest.Reason.DEFECT,
                           user=packer)
    with pytest.raises(returns.ReturnError, match="Só 1 unidade"):
        returns.return_request(order=delivered_order, quantities={shirt_item: 2}, reason=ReturnRequest.Reason.DEFECT,
                               user=packer)
    with pytest.raises(returns.ReturnError, match="quantas unidades"):
        returns.return_request(order=delivered_order, quantities={shirt_item: 0}, reason=ReturnRequest.Reason.DEFECT,
                               user=packer)


def test_an_order_not_shipped_does_not_come_back(consumer_order, packer):
    with pytest.raises(returns.ReturnError, match="só pedidos que saíram"):
        returns.return_request(order=consumer_order, quantities=quantities(consumer_order),
                               reason=ReturnRequest.Reason.OTHER, user=packer)


def test_a_partial_return_refunds_its_part_and_the_order_stays_delivered(sefaz, delivered_order, packer, issuer,
                                                                         run_queued_tasks):
    cap_item = delivered_order.items.get(sku="BONE-PT")
    request = returns.return_request(order=delivered_order, quantities={cap_item: 1},
                                     reason=ReturnRequest.Reason.DEFECT, user=packer)
    request = returns.return_approve(request=request, user=packer, reverse_code="bq 123 456 789 br")
    assert request.reverse_code == "BQ123456789BR"
    returns.return_receive(request=request, user=packer, warehouse=Warehouse.objects.get(code="principal"))
    with pytest.raises(returns.ReturnError, match="Escolha o destino de cada item"):
        returns.return_inspect(request=request, user=packer, outcomes={})
    [item] = request.items.all()
    returns.return_inspect(request=request, user=packer, outcomes={item: ReturnItem.Outcome.QUALITY_CONTROL})
    with pytest.raises(returns.ReturnError, match="entre zero e"):
        returns.return_close(request=request, user=issuer, refund=Decimal("500.00"))
    with run_queued_tasks():
        returns.return_close(request=request, user=issuer, refund=Decimal("39.90"))
    delivered_order.refresh_from_db()
    assert delivered_order.status == "delivered" and delivered_order.refunded_amount == Decimal("39.90")
    assert StockLevel.objects.get(product=cap_item.product, warehouse__code="principal").quality_control == 1
