"""An invoiced order picked, packed and shipped in a real Chromium: staff tick it on the picking screen and
print its picking list, start its parcel (Jadlog, by its table), scan each unit into it — the code typed
into the scan box and Enter, as a keyboard-wedge scanner does — weigh it as the scale reads (0,750), hand
it to Jadlog with the tracking code its system gave, print its label pages and packing slip, and the
order is shipped."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.test_modules import SHOTS, _login, browser_page  # noqa: F401 (fixture)
from tests.fiscal.conftest import (  # noqa: F401 (fixtures)
    consumer_order,
    fiscal_profile,
    make_paid_order,
    products,
    series,
    tax_tables,
)
from tests.fiscal.services_support import issuer  # noqa: F401 (fixture)
from tests.logistics.conftest import authorized, boxes, carriers, invoiced_order, shelved  # noqa: F401 (fixtures)
from tests.logistics.test_documents import decoded


def _opened_pdf(page, click, path: str) -> bytes:
    """Click what opens a PDF in a tab of its own (Chromium's viewer); the file it got."""
    with page.context.expect_event("response", lambda response: path in response.url) as opened:
        click()
    pdf = opened.value
    assert (pdf.status, pdf.headers["content-type"]) == (200, "application/pdf")
    body = page.request.get(pdf.url).body()  # the file itself, as the viewer got it
    assert body.startswith(b"%PDF")
    return body


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _scan(page, code: str):
    """A scanner's read: the code typed into the focused scan box, then Enter."""
    scan_box = page.locator("[data-testid=scan-input]")
    expect(scan_box).to_be_focused()
    expect(scan_box).to_have_value("")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_pick_pack_and_ship_an_invoiced_order_scanning_each_unit(
        role_user, live_server, browser_page, authorized, invoiced_order, shelved, carriers, boxes, tmp_path):
    from logistics.models import Shipment

    order = invoiced_order
    role_user("staff")
    page, problems = browser_page
    _login(page, live_server, "staff")

    # Picking: the order ticked, its picking list on screen (the caps' shelf before the T-shirts') and printed.
    page.goto(f"{live_server.url}/logistics/picking/")
    page.locator(f"input[name=ids][value='{order.pk}']").check()
    page.locator("[data-testid=show-picking-list]").click()
    picking_list = page.locator("[data-testid=picking-list]")
    expect(picking_list).to_contain_text("A-01-3")
    assert picking_list.inner_text().index("A-01-3") < picking_list.inner_text().index("B-02-1")
    assert _pages(_opened_pdf(page, page.locator("[data-testid=picking-pdf]").click, "/picking/pdf/")) >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "picking.png", full_page=True)

    # The parcel begun: Jadlog .Package in the small box.
    page.locator("[data-testid=pack-order]").click()
    page.wait_for_url(f"**/logistics/pack/{order.pk}/")
    page.select_option("select[name=service]", str(carriers["package"].pk))
    page.select_option("select[name=box]", str(boxes[0].pk))
    page.locator("[data-testid=start-parcel]").click()
    shipment = Shipment.objects.get(order=order)
    page.wait_for_url(f"**/logistics/parcels/{shipment.pk}/pack/")

    # Each unit scanned: a wrong code said inline, the T-shirts by their GTIN, the cap by its SKU.
    _scan(page, "7890000000000")
    expect(page.locator("[data-testid=scan-error]")).to_contain_text("7890000000000")
    last = page.locator("[data-testid=last-scanned]")
    shirt_gtin = shipment.items.get(order_item__sku="CAM-AZ-M").order_item.product.gtin
    for packed in ("1 / 2", "2 / 2"):
        _scan(page, shirt_gtin)
        expect(last).to_have_attribute("data-sku", "CAM-AZ-M")
        expect(last.locator("[data-testid=packed-count]")).to_have_text(packed)
    expect(page.locator("[data-testid=scan-error]")).to_have_count(0)
    page.screenshot(path=SHOTS / "packing.png", full_page=True)
    _scan(page, "BONE-PT")
    expect(last).to_have_attribute("data-sku", "BONE-PT")
    expect(page.locator("[data-testid=scan-input]")).to_have_count(0)

    # Weighed as the scale reads, then handed to Jadlog with the code its system gave.
    weight = page.locator("input[name=weight_kg]")
    expect(weight).to_be_focused()
    page.keyboard.type("0,750")
    page.locator("[data-testid=pack-parcel]").click()
    expect(page.locator("[data-testid=packed-summary]")).to_contain_text("0,750 kg")
    page.fill("input[name=tracking_code]", "jd 1234 5678 9")
    page.locator("[data-testid=ship-parcel]").click()
    page.wait_for_url(f"**/logistics/parcels/{shipment.pk}/")
    expect(page.locator("[data-testid=tracking-code]")).to_contain_text("JD123456789")
    page.screenshot(path=SHOTS / "parcel.png", full_page=True)

    # Its label pages (our label, the DANFE label, its contents) and its packing slip, their barcodes read back:
    # the tracking code and the NF-e key on the label, the tracking code on the slip.
    labels = _opened_pdf(page, page.locator("[data-testid=labels]").click, f"/parcels/{shipment.pk}/labels/")
    assert _pages(labels) >= 2
    assert {"JD123456789", authorized.key} <= set(decoded(labels, 0, tmp_path))
    slip = _opened_pdf(page, page.locator("[data-testid=slip]").click, f"/parcels/{shipment.pk}/slip/")
    assert "JD123456789" in decoded(slip, 0, tmp_path)

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    expect(page.locator("main h1")).to_contain_text("Enviado")
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert (shipment.status, shipment.tracking_code, order.status) == ("shipped", "JD123456789", "shipped")
    assert problems == [], "\n".join(problems)
