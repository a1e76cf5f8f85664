from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory import services
from inventory.models import Movement, ReorderAlert, StockLevel
from inventory.tasks import reorder_check
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_scanned_gtin_is_received_and_the_form_comes_back_for_the_next_item(client_as, main_warehouse):
    product = ProductFactory(gtin="7891000315507", cost=0)
    client = client_as("staff")
    response = client.post("/inventory/receipt/", {
        "product": "7891000315507", "warehouse": main_warehouse.pk, "quantity": "12", "unit_cost": "8,50",
        "supplier": "Têxtil Ltda", "reference": "NF 4455",
    }, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="receipt"')
    assert "Entrada de 12 ×" in html
    assert 'value="Têxtil Ltda"' in html  # kept for the next item of the same delivery
    assert StockLevel.objects.get(product=product).on_hand == 12
    product.refresh_from_db()
    assert str(product.cost) == "8.50"


def test_an_unknown_code_is_refused_with_a_message(client_as, main_warehouse):
    response = client_as("staff").post("/inventory/receipt/", {
        "product": "0000", "warehouse": main_warehouse.pk, "quantity": "1", "unit_cost": "1"})
    assert response.status_code == 200
    assert "Nenhum produto tem o SKU ou GTIN “0000”" in response.content.decode()
    assert not Movement.objects.exists()


def test_the_daily_check_flags_low_skus_with_a_suggestion_from_the_last_30_days(stocked):
    busy = stocked(20, reorder_point=5)
    calm = stocked(3, reorder_point=5)
    stocked(50, reorder_point=5)
    services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", busy.pk, 16)])
    services.stock_consume(reference="order:1")
    services.stock_reserve(reference="order:0", lines=[services.ReservationLine("1", busy.pk, 1)])
    # Shipped 45 days ago (the ledger cannot be backdated afterwards: it is append-only).
    long_ago = timezone.now() - timedelta(days=45)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        services.stock_consume(reference="order:0")

    assert reorder_check.apply().get() == 2
    alerts = {a.product_id: a for a in ReorderAlert.objects.all()}
    assert set(alerts) == {busy.pk, calm.pk}
    # busy: 3 available, 16 shipped in 30 days (not the one 45 days ago): 5 + 16 - 3 + 1
    assert ((alerts[busy.pk].available, alerts[busy.pk].sold_last_30_days, alerts[busy.pk].suggested_quantity)
            == (3, 16, 19))
    assert (alerts[calm.pk].sold_last_30_days, alerts[calm.pk].suggested_quantity) == (0, 3)


def test_running_the_daily_check_twice_a_day_keeps_one_flag_per_sku(stocked):
    stocked(1, reorder_point=5)
    reorder_check.apply()
    reorder_check.apply()
    assert ReorderAlert.objects.count() == 1


def test_the_low_stock_page_lists_what_to_buy(client_as, stocked):
    low = stocked(2, reorder_point=5)
    stocked(50, reorder_point=5)
    page = client_as("manager").get("/inventory/low-stock/")
    assert [p.sku for p in page.context["table"].page.object_list] == [low.sku]


def test_inventory_verify_finds_no_drift_then_reports_a_tampered_level(stocked):
    product = stocked(10)
    services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", product.pk, 2)])
    out = StringIO()
    call_command("inventory_verify", stdout=out)
    assert "No drift" in out.getvalue()
    StockLevel.objects.filter(product=product).update(on_hand=11)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 stock levels drift"):
        call_command("inventory_verify", stdout=out)
    assert "on_hand stored 11 but ledger says 10" in out.getvalue()
