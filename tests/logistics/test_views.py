"""The fulfilment screens through HTTP: who may open them, the orders to pick and their picking list,
a parcel begun with the cheapest service chosen, each unit scanned through HTMX (a wrong code said
inline), weighed as the scale reads (0,750), shipped with its NF-e (and refused without one), the
parcels list (search, filters, export, queries whatever the page size), the parcel's page and PDFs,
and the order page's panel."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from pypdf import PdfReader

from logistics import services
from logistics.models import Shipment, TrackingStatus
from logistics.providers import ReportedEvent
from logistics.views import order_logistics_panel
from tests.lists import queries_per_page_size

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def bench(client, packer):
    """The test client as Paula, who packs."""
    client.force_login(packer)
    return client


def url(name, *args):
    return reverse(f"logistics:{name}", args=args)


def codes_of(shipment):
    """The code the scanner reads off each unit of the parcel: the GTIN when the product has one, else the SKU."""
    return [item.order_item.product.gtin or item.order_item.sku
            for item in shipment.items.select_related("order_item__product") for _unit in range(item.quantity)]


def scanned(bench, shipment):
    """Every unit of the parcel scanned in through the packing screen's HTMX posts; the last answer."""
    for code in codes_of(shipment):
        response = bench.post(url("shipment_scan", shipment.pk), {"code": code}, **HTMX)
        assert response.status_code == 200
    return response


def packed_parcel(bench, order, service, box):
    shipment = services.shipment_start(order=order, service=service, user=None, box=box)
    scanned(bench, shipment)
    response = bench.post(url("shipment_weigh", shipment.pk), {"weight_kg": "0,750", "box": box.pk})
    assert response.status_code == 302, response.content.decode()
    return Shipment.objects.get(pk=shipment.pk)


def pdf_pages(response) -> int:
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content.startswith(b"%PDF")
    return len(PdfReader(io.BytesIO(response.content)).pages)


# Who may open what -------------------------------------------------------------------------------


@pytest.mark.parametrize("role,name,method,allowed", [
    ("ops", "picking", "get", False),
    ("ops", "shipment_list", "get", False),
    ("ops", "shipment_detail", "get", False),
    ("finance", "shipment_scan", "post", False),
    ("manager", "picking", "get", True),
    ("manager", "shipment_list", "get", True),
    ("manager", "shipment_scan", "post", False),
    ("manager", "shipment_pack", "get", False),
    ("manager", "pack", "post", False),
    ("staff", "shipment_pack", "get", True),
])
def test_reading_needs_view_shipment_and_packing_needs_ship_shipment(client_as, consumer_order, carriers, role,
                                                                     name, method, allowed):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    args = {"pack": (consumer_order.pk,), "shipment_pack": (shipment.pk,), "shipment_scan": (shipment.pk,),
            "shipment_detail": (shipment.pk,)}
    client = client_as(role)
    response = getattr(client, method)(url(name, *args.get(name, ())), {"code": "CAM-AZ-M"})
    assert (response.status_code != 403) is allowed, response.status_code
    if not allowed:
        assert shipment.items.filter(packed__gt=0).count() == 0


def test_changes_are_posted_only(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    for name in ("shipment_scan", "shipment_weigh", "shipment_ship", "shipment_reopen", "shipment_cancel",
                 "shipment_deliver"):
        assert bench.get(url(name, shipment.pk)).status_code == 405, name
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKING


# Picking ----------------------------------------------------------------------------------------


def test_the_orders_to_pick_are_those_released_with_units_not_yet_in_a_parcel(bench, consumer_order,
                                                                              interstate_consumer_order, carriers):
    response = bench.get(url("picking"))
    assert {order.pk for order in response.context["table"].page.object_list} == {
        consumer_order.pk, interstate_consumer_order.pk}
    assert response.context["table"].page.object_list[0].to_pick == 3
    services.shipment_start(order=interstate_consumer_order, service=carriers["package"], user=None)
    response = bench.get(url("picking"))
    assert [order.pk for order in response.context["table"].page.object_list] == [consumer_order.pk]
    assert bench.get(url("picking"), {"q": "joao"}).context["table"].page.paginator.count == 0
    assert bench.get(url("picking"), {"q": "maria"}).context["table"].page.paginator.count == 1


def test_the_ticked_orders_picking_list_walks_the_shelves_on_screen_and_on_paper(bench, consumer_order, shelved):
    response = bench.get(url("picking"), {"ids": [consumer_order.pk]})
    lines = [(line.location, line.sku, line.quantity, line.orders) for line in response.context["lines"]]
    assert lines == [("A-01-3", "BONE-PT", 1, (consumer_order.number,)),
                     ("B-02-1", "CAM-AZ-M", 2, (consumer_order.number,))]
    html = response.content.decode()
    assert 'data-testid="picking-list"' in html and "A-01-3" in html and "B-02-1" in html
    assert f'value="{consumer_order.pk}" form="picking-form" checked' in html
    assert pdf_pages(bench.get(url("picking_pdf"), {"ids": [consumer_order.pk]})) >= 1


def test_a_picking_list_of_nothing_ticked_says_so(bench, consumer_order):
    response = bench.get(url("picking_pdf"), {"ids": ["x", "99999999999999999999999"]}, follow=True)
    assert response.redirect_chain == [(url("picking"), 302)]
    assert _("Tick at least one order to pick.") in response.content.decode()


# The packing bench ------------------------------------------------------------------------------


def test_a_parcel_starts_with_the_cheapest_service_chosen(bench, consumer_order, carriers, boxes):
    response = bench.get(url("pack", consumer_order.pk))
    form = response.context["form"]
    # The own fleet (no table: free), then Jadlog R$ 14,00, PAC R$ 15,20, SEDEX R$ 21,50.
    assert form["service"].initial == carriers["own"].pk
    assert f'<option value="{carriers["own"].pk}" selected>' in response.content.decode()
    assert "R$\xa014,00" in response.content.decode()
    response = bench.post(url("pack", consumer_order.pk), {"service": carriers["package"].pk, "box": boxes[0].pk})
    shipment = Shipment.objects.get(order=consumer_order)
    assert response.status_code == 302 and response["Location"] == url("shipment_pack", shipment.pk)
    assert (shipment.service, shipment.box, shipment.items.count()) == (carriers["package"], boxes[0], 2)
    # Nothing left to pack: a second parcel is refused, with the reason.
    response = bench.post(url("pack", consumer_order.pk), {"service": carriers["package"].pk})
    assert response.status_code == 400
    assert (_("Every item of order %(order)s is in a parcel already.") % {"order": consumer_order}
            in response.content.decode())
    assert Shipment.objects.filter(order=consumer_order).count() == 1


def test_each_scan_swaps_the_items_marking_the_last_and_empties_the_scan_box(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    shirt = shipment.items.get(order_item__sku="CAM-AZ-M")
    response = bench.post(url("shipment_scan", shipment.pk), {"code": shirt.order_item.product.gtin}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html  # the packing block alone
    assert html.lstrip().startswith('<div id="packing"')
    assert 'data-testid="last-scanned" data-sku="CAM-AZ-M"' in html
    assert "1 / 2" in html and "0 / 1" in html
    scan_box = html[html.index('<input id="scan-code"'):].split(">", 1)[0]
    assert "autofocus" in scan_box and "value=" not in scan_box
    shirt.refresh_from_db()
    assert shirt.packed == 1


def test_a_wrong_code_is_said_inline_and_packs_nothing(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    response = bench.post(url("shipment_scan", shipment.pk), {"code": "7891000100103"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="scan-error"' in html
    assert _("“%(code)s” is not an item of this order: check the product.") % {"code": "7891000100103"} in html
    assert "last-scanned" not in html
    assert not shipment.items.filter(packed__gt=0).exists()
    # Without HTMX, the screen again, 400 and the reason.
    response = bench.post(url("shipment_scan", shipment.pk), {"code": "NOPE"})
    assert response.status_code == 400 and 'data-testid="scan-error"' in response.content.decode()


def test_a_unit_too_many_is_refused(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    for _unit in range(2):
        bench.post(url("shipment_scan", shipment.pk), {"code": "cam-az-m"}, **HTMX)
    response = bench.post(url("shipment_scan", shipment.pk), {"code": "CAM-AZ-M"}, **HTMX)
    assert _("Every unit of %(sku)s is in the parcel already.") % {"sku": "CAM-AZ-M"} in response.content.decode()


def test_a_scan_without_htmx_comes_back_to_the_screen_with_the_unit_marked(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    response = bench.post(url("shipment_scan", shipment.pk), {"code": "BONE-PT"}, follow=True)
    assert response.redirect_chain[0][0].startswith(url("shipment_pack", shipment.pk) + "?last=")
    assert 'data-testid="last-scanned" data-sku="BONE-PT"' in response.content.decode()


def test_the_last_scan_brings_the_weighing_and_the_weight_is_read_as_typed(bench, consumer_order, carriers, boxes,
                                                                         time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    html = scanned(bench, shipment).content.decode()
    assert 'data-testid="weigh-form"' in html and 'id="scan-code"' not in html
    weight = html[html.index('name="weight_kg"'):].split(">", 1)[0]
    assert "autofocus" in weight
    # "1.250" is 1250 kg or 1,25 kg to someone: asked again, nothing packed.
    response = bench.post(url("shipment_weigh", shipment.pk), {"weight_kg": "1.250", "box": boxes[0].pk})
    assert response.status_code == 400
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKING
    response = bench.post(url("shipment_weigh", shipment.pk), {"weight_kg": "0,750", "box": boxes[0].pk},
                          follow=True)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.weight_kg, shipment.box) == (Shipment.Status.PACKED, Decimal("0.750"), boxes[0])
    # 25 × 18 × 8 ÷ 5000 = 0,72 kg cubic: the 1 kg band to São Paulo, 3 days and 1 of handling.
    assert (shipment.cost, shipment.promised_on) == (Decimal("14.00"), date(2026, 12, 8))
    html = response.content.decode()
    assert 'data-testid="ship-form"' in html and "0,750 kg" in html and "08/12/2026" in html


def test_a_parcel_without_box_or_size_is_not_closed(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    scanned(bench, shipment)
    response = bench.post(url("shipment_weigh", shipment.pk), {"weight_kg": "0,750", "length_cm": "20"})
    assert response.status_code == 400
    assert escape(_("Choose a box or give the parcel's length, width and height.")) in response.content.decode()
    response = bench.post(url("shipment_weigh", shipment.pk), {"weight_kg": "0,75", "length_cm": "20,5",
                                                              "width_cm": "15", "height_cm": "8"})
    shipment.refresh_from_db()
    assert response.status_code == 302 and shipment.length_cm == Decimal("20.5")


def test_shipping_is_refused_while_the_order_has_no_nfe(bench, consumer_order, carriers, boxes):
    shipment = packed_parcel(bench, consumer_order, carriers["own"], boxes[0])
    page = bench.get(url("shipment_pack", shipment.pk)).content.decode()
    assert 'data-testid="no-nfe"' in page
    response = bench.post(url("shipment_ship", shipment.pk))
    assert response.status_code == 400
    assert (_("Order %(order)s has no authorized NF-e yet: issue it before the parcel leaves.")
            % {"order": consumer_order}) in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKED


def test_a_carrier_without_an_api_needs_its_tracking_code_typed(bench, invoiced_order, carriers, boxes):
    shipment = packed_parcel(bench, invoiced_order, carriers["package"], boxes[0])
    response = bench.post(url("shipment_ship", shipment.pk), {"tracking_code": ""})
    assert response.status_code == 400 and Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.PACKED
    assert bench.post(url("shipment_ship", shipment.pk), {"tracking_code": "JD<script>"}).status_code == 400
    response = bench.post(url("shipment_ship", shipment.pk), {"tracking_code": " jd 1234 5678 "})
    shipment.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == url("shipment_detail", shipment.pk)
    assert (shipment.status, shipment.tracking_code) == (Shipment.Status.SHIPPED, "JD12345678")
    invoiced_order.refresh_from_db()
    assert invoiced_order.status == "shipped"


def test_the_own_fleet_ships_with_nothing_typed(bench, invoiced_order, carriers, boxes):
    shipment = packed_parcel(bench, invoiced_order, carriers["own"], boxes[0])
    page = bench.get(url("shipment_pack", shipment.pk)).content.decode()
    assert 'data-testid="no-nfe"' not in page and 'name="tracking_code"' in page  # optional
    response = bench.post(url("shipment_ship", shipment.pk))
    shipment.refresh_from_db()
    assert response.status_code == 302
    assert (shipment.status, shipment.tracking_code) == (Shipment.Status.SHIPPED, f"LB{shipment.pk:09d}BR")


def test_staff_record_the_own_fleets_delivery_from_the_parcels_page(bench, invoiced_order, carriers, boxes):
    shipment = packed_parcel(bench, invoiced_order, carriers["own"], boxes[0])
    assert 'data-testid="deliver"' not in bench.get(url("shipment_detail", shipment.pk)).content.decode()
    bench.post(url("shipment_ship", shipment.pk))
    assert 'data-testid="deliver"' in bench.get(url("shipment_detail", shipment.pk)).content.decode()
    response = bench.post(url("shipment_deliver", shipment.pk), follow=True)
    assert response.redirect_chain == [(url("shipment_detail", shipment.pk), 302)]
    shipment.refresh_from_db()
    invoiced_order.refresh_from_db()
    assert (shipment.status, invoiced_order.status) == (Shipment.Status.DELIVERED, "delivered")
    again = bench.post(url("shipment_deliver", shipment.pk), follow=True)
    assert "alert-danger" in again.content.decode()


def test_reopening_empties_the_parcel_and_cancelling_gives_its_units_back(bench, consumer_order, carriers, boxes):
    shipment = packed_parcel(bench, consumer_order, carriers["own"], boxes[0])
    response = bench.post(url("shipment_reopen", shipment.pk))
    assert response["Location"] == url("shipment_pack", shipment.pk)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.PACKING and not shipment.items.filter(packed__gt=0).exists()
    assert bench.get(url("picking")).context["table"].page.paginator.count == 0
    response = bench.post(url("shipment_cancel", shipment.pk), follow=True)
    assert response.redirect_chain == [(url("shipment_detail", shipment.pk), 302)]
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.CANCELLED
    assert bench.get(url("picking")).context["table"].page.paginator.count == 1
    # A cancelled parcel is not reopened: the reason, nothing changed.
    response = bench.post(url("shipment_reopen", shipment.pk), follow=True)
    assert 'alert-danger' in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.CANCELLED
    assert bench.get(url("shipment_pack", shipment.pk))["Location"] == url("shipment_detail", shipment.pk)


# Parcels ----------------------------------------------------------------------------------------


@pytest.fixture
def parcels(consumer_order, interstate_consumer_order, carriers):
    """Maria's parcel shipped by Jadlog (promised for 08/12/2026, in transit), João's packing by PAC."""
    maria = Shipment.objects.create(order=consumer_order, service=carriers["package"], status=Shipment.Status.SHIPPED,
                                    tracking_code="JD00112233", promised_on=date(2026, 12, 8), cost=Decimal("14.00"),
                                    tracking_status=TrackingStatus.IN_TRANSIT)
    joao = Shipment.objects.create(order=interstate_consumer_order, service=carriers["pac"])
    return maria, joao


@pytest.mark.parametrize("params,expected", [
    ({"q": "joao"}, ["joao"]),  # João, accents and case ignored
    ({"q": "MARIA DA"}, ["maria"]),
    ({"q": "jd 0011"}, ["maria"]),  # the beginning of the tracking code, spaced
    ({"q": "JD"}, []),  # too short to be a beginning: whole codes only
    ({"status": "packing"}, ["joao"]),
    ({"tracking_status": "in_transit"}, ["maria"]),
    ({"promised_on_after": "2026-12-01", "promised_on_before": "2026-12-08"}, ["maria"]),
    ({"promised_on_after": "2026-12-09"}, []),
])
def test_the_parcels_list_searches_and_filters(bench, parcels, params, expected):
    named = dict(zip(("maria", "joao"), parcels))
    response = bench.get(url("shipment_list"), params)
    assert response.status_code == 200
    assert sorted(name for name, shipment in named.items()
                  if shipment in response.context["table"].page.object_list) == expected


def test_the_parcels_list_finds_by_order_number_and_carrier(bench, parcels, carriers):
    maria, joao = parcels
    response = bench.get(url("shipment_list"), {"q": f"#{joao.order.number}"})
    assert list(response.context["table"].page.object_list) == [joao]
    response = bench.get(url("shipment_list"), {"carrier": carriers["jadlog"].pk})
    assert list(response.context["table"].page.object_list) == [maria]
    response = bench.get(url("shipment_list"), {"q": "zzz"}, **HTMX)
    assert "<html" not in response.content.decode() and 'data-testid="empty-state"' in response.content.decode()


def test_the_parcels_list_exports_what_it_shows(bench, parcels):
    maria, joao = parcels
    response = bench.get(url("shipment_list"), {"status": "shipped", "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == "JD00112233"
    assert "08/12/2026" in rows[1] and "14,00" in rows[1]
    assert "https://www.jadlog.com.br/tracking?cte=JD00112233" in rows[1]
    response = bench.get(url("shipment_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 3


def test_the_parcels_list_queries_do_not_grow_with_the_page(bench, parcels, consumer_order, carriers, boxes,
                                                            django_assert_max_num_queries):
    Shipment.objects.bulk_create([Shipment(order=consumer_order, service=service, box=boxes[0],
                                           status=Shipment.Status.CANCELLED)
                                  for service in (carriers["sedex"], carriers["own"]) * 60])
    counts, shown = queries_per_page_size(bench, url("shipment_list"))
    assert shown == [25, 100] and counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        bench.get(url("shipment_list"), {"per_page": 100, "q": "maria"})


def test_the_parcels_page_shows_its_tracking_in_sao_paulo_time_newest_first(bench, invoiced_order, carriers, boxes):
    shipment = packed_parcel(bench, invoiced_order, carriers["package"], boxes[0])
    bench.post(url("shipment_ship", shipment.pk), {"tracking_code": "JD55"})
    posted = datetime(2026, 12, 2, 18, 5, tzinfo=ZoneInfo("UTC"))  # 15:05 in São Paulo
    moving = datetime(2026, 12, 3, 12, 30, tzinfo=ZoneInfo("UTC"))  # 09:30
    services.tracking_record(shipment=shipment, source="poll", events=[
        ReportedEvent("JD55", posted, "PO", "01", TrackingStatus.POSTED, "Objeto postado", "SAO PAULO/SP"),
        ReportedEvent("JD55", moving, "RO", "01", TrackingStatus.IN_TRANSIT, "Objeto em trânsito", "CAJAMAR/SP")])
    response = bench.get(url("shipment_detail", shipment.pk))
    html = response.content.decode()
    events = html[html.index('data-testid="tracking-events"'):]
    assert events.index("03/12/2026 09:30") < events.index("02/12/2026 15:05")
    assert 'href="https://www.jadlog.com.br/tracking?cte=JD55"' in html
    assert "0,750 kg" in html and "R$\xa014,00" in html
    assert [event.code for event in response.context["events"]] == [
        "shipment.packing", "shipment.packed", "shipment.shipped"]
    assert 'data-testid="timeline"' in html
    assert pdf_pages(bench.get(url("shipment_labels", shipment.pk))) >= 2  # our label, the DANFE label, contents
    assert pdf_pages(bench.get(url("shipment_slip", shipment.pk))) >= 1
    assert pdf_pages(bench.get(url("labels_pdf"), {"ids": [shipment.pk]})) >= 2


def test_label_pages_of_a_parcel_not_shipped_say_why(bench, consumer_order, carriers):
    shipment = services.shipment_start(order=consumer_order, service=carriers["package"], user=None)
    response = bench.get(url("shipment_labels", shipment.pk))
    assert response.status_code == 302 and response["Location"] == url("shipment_detail", shipment.pk)
    response = bench.get(url("labels_pdf"), follow=True)
    assert response.redirect_chain == [(url("shipment_list"), 302)]


# The order page's panel -------------------------------------------------------------------------


def _panel_html(order, user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("logistics/partials/order_panel.html",
                            {"order": order, "panel": order_logistics_panel(order)}, request=request)


def test_the_order_panel_offers_the_freight_options_and_the_way_to_pack(consumer_order, carriers, boxes, packer,
                                                                        time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    panel = order_logistics_panel(consumer_order)
    assert [(option.service, option.price) for option in panel["options"]] == [
        (carriers["own"], Decimal("0.00")), (carriers["package"], Decimal("14.00")),
        (carriers["pac"], Decimal("15.20")), (carriers["sedex"], Decimal("21.50"))]
    assert panel["to_pack"] and panel["shipments"] == []
    html = _panel_html(consumer_order, packer)
    assert "R$\xa014,00" in html and "R$\xa015,20" in html
    assert "08/12/2026" in html  # Jadlog: 3 days and 1 of handling after Wednesday 02/12
    assert f'href="{url("pack", consumer_order.pk)}"' in html


def test_the_order_panel_lists_the_parcels_and_no_options_once_shipped(bench, invoiced_order, carriers, boxes,
                                                                       packer):
    shipment = packed_parcel(bench, invoiced_order, carriers["package"], boxes[0])
    bench.post(url("shipment_ship", shipment.pk), {"tracking_code": "JD77"})
    invoiced_order.refresh_from_db()
    panel = order_logistics_panel(invoiced_order)
    assert panel["shipments"] == [shipment] and panel["options"] == [] and not panel["to_pack"]
    html = _panel_html(invoiced_order, packer)
    assert "JD77" in html and "https://www.jadlog.com.br/tracking?cte=JD77" in html
    assert url("pack", invoiced_order.pk) not in html
