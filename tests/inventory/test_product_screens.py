import csv
import io

import pytest

from backoffice.models import AuditEvent
from inventory.importers import CATALOG_COLUMNS
from inventory.models import Product
from tests.factories import ProductFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db

VALID = {
    "sku": "CAM-001", "name": "Camiseta básica", "ncm": "6109.10.00", "price": "59.90", "gtin": "7891000315507",
    "origin": "0", "unit": "UN", "reorder_point": "5", "gross_weight_kg": "0.3", "net_weight_kg": "0.25",
    "height_cm": "2", "width_cm": "20", "length_cm": "30", "cest": "",
}


def test_staff_create_a_product_and_the_change_is_audited(client_as):
    response = client_as("staff").post("/inventory/products/new/", VALID)
    product = Product.objects.get(sku="CAM-001")
    assert response.status_code == 302 and response["Location"] == f"/inventory/products/{product.pk}/"
    assert product.ncm == "61091000"
    assert AuditEvent.objects.get(action="product.create").changes["sku"] == [None, "CAM-001"]


@pytest.mark.parametrize("field,value,message", [
    ("gtin", "7891000315508", "GTIN/EAN inválido"),
    ("ncm", "6109", "O NCM tem 8 dígitos"),
    ("price", "-1", "maior ou igual a 0"),
    ("net_weight_kg", "9", "não pode exceder o peso bruto"),
])
def test_bad_product_input_gets_a_clear_message_and_saves_nothing(client_as, field, value, message):
    response = client_as("staff").post("/inventory/products/new/", {**VALID, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()


def test_a_duplicated_sku_is_refused(client_as):
    ProductFactory(sku="CAM-001")
    response = client_as("staff").post("/inventory/products/new/", VALID)
    assert "Produto com este SKU já existe" in response.content.decode()
    assert Product.objects.count() == 1


def test_deactivating_asks_to_confirm_and_is_audited(client_as):
    product = ProductFactory()
    client = client_as("staff")
    page = client.get(f"/inventory/products/{product.pk}/").content.decode()
    assert 'data-confirm="Desativar este produto?' in page  # asked by static/js/app.js
    client.post(f"/inventory/products/{product.pk}/active/", {"active": "0"})
    product.refresh_from_db()
    assert product.active is False
    assert AuditEvent.objects.filter(action="product.deactivate").exists()


def test_the_list_filters_by_text_activity_low_stock_and_warehouse(client_as, stocked, second_warehouse):
    from inventory import services

    plenty = stocked(50, name="Caneca esmaltada", reorder_point=5)
    short = stocked(2, name="Camiseta", reorder_point=5)
    services.stock_receive(product=short, warehouse=second_warehouse, quantity=1, unit_cost=short.cost, user=None)
    ProductFactory(name="Antigo", active=False)
    client = client_as("staff")

    def skus(**params):
        return [p.sku for p in client.get("/inventory/products/", params).context["table"].page.object_list]

    assert skus(q="caneca") == [plenty.sku]
    assert skus(low="true", active="true") == [short.sku]
    assert len(skus(active="false")) == 1
    in_second = client.get("/inventory/products/", {"warehouse": second_warehouse.pk}).context["table"].page.object_list
    assert [(p.sku, p.on_hand_total) for p in in_second] == [(short.sku, 1)]


def test_the_list_runs_the_same_number_of_queries_whatever_the_page_size(client_as, stocked):
    for _ in range(60):
        stocked(3)
    counts, _ = queries_per_page_size(client_as("staff"), "/inventory/products/")
    assert counts[0] == counts[1]


def test_the_catalog_exports_in_the_import_format(client_as, stocked):
    stocked(3, sku="ABC-1", gtin="7891000315507")
    response = client_as("staff").get("/inventory/products/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [str(column.label) for column in CATALOG_COLUMNS]
    assert rows[0][:4] == ["SKU", "Nome", "NCM", "Preço"]
    assert rows[1][0] == "ABC-1" and rows[1][4] == "7891000315507"


def test_an_inline_count_through_htmx_returns_the_stock_block(client_as, stocked, main_warehouse):
    product = stocked(10)
    client = client_as("staff")
    url = f"/inventory/products/{product.pk}/stock/adjust/"
    response = client.post(url, {"adjust-warehouse": main_warehouse.pk, "adjust-counted": "8"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="stock"')
    assert "Estoque atualizado" in html
    refused = client.post(url, {"adjust-warehouse": main_warehouse.pk, "adjust-counted": "-2"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200
    assert "maior ou igual a 0" in refused.content.decode()
    assert 'id="action-adjust" class="accordion-collapse collapse show"' in refused.content.decode()  # stays open
    product.levels.get().refresh_from_db()
    assert product.levels.get().on_hand == 8


def test_roles_without_stock_permissions_cannot_adjust(client_as, stocked, main_warehouse):
    product = stocked(10)
    response = client_as("manager").post(
        f"/inventory/products/{product.pk}/stock/adjust/",
        {"adjust-warehouse": main_warehouse.pk, "adjust-counted": "0"},
    )
    assert response.status_code == 403
    assert product.levels.get().on_hand == 10


def test_a_huge_quantity_is_a_form_error_not_a_crash(client_as, stocked, main_warehouse):
    product = stocked(1)
    response = client_as("staff").post(
        f"/inventory/products/{product.pk}/stock/return/",
        {"return-warehouse": main_warehouse.pk, "return-quantity": "99999999999999999999",
         "return-to_state": "sellable"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "menor ou igual a 1000000" in response.content.decode()
    assert product.levels.get().on_hand == 1


def test_the_last_active_warehouse_cannot_be_deactivated(client_as, main_warehouse):
    response = client_as("admin").post(
        f"/inventory/warehouses/{main_warehouse.pk}/edit/",
        {"code": "principal", "name": "Depósito principal", "priority": "1", "active": ""},
    )
    assert "A loja precisa de pelo menos um depósito ativo" in response.content.decode()
    main_warehouse.refresh_from_db()
    assert main_warehouse.active


def test_the_daily_alerts_are_listed_and_exported(client_as, stocked):
    from inventory.tasks import reorder_check

    low = stocked(1, reorder_point=5)
    reorder_check.apply()
    client = client_as("manager")
    page = client.get("/inventory/low-stock/alerts/")
    assert [a.product.sku for a in page.context["table"].page.object_list] == [low.sku]
    export = b"".join(client.get("/inventory/low-stock/alerts/", {"export": "csv"})
                      .streaming_content).decode("utf-8-sig")
    assert low.sku in export
