"""The messages a request leaves are shown once: by the layout on a page, along with the fragment
(out of band, into the layout's place) on an HTMX answer."""

from pathlib import Path

import pytest
from django.conf import settings

from inventory.models import Product, Warehouse
from tests.factories import ProductFactory
from tests.inventory.test_product_screens import VALID

pytestmark = pytest.mark.django_db


def test_saving_a_product_shows_its_success_message_once(client_as):
    client = client_as("staff")
    created = client.post("/inventory/products/new/", VALID, follow=True).content.decode()
    assert created.count("Produto CAM-001 salvo.") == 1
    product = Product.objects.get(sku="CAM-001")
    edited = client.post(f"/inventory/products/{product.pk}/edit/", {**VALID, "name": "Camiseta lisa"},
                         follow=True).content.decode()
    assert edited.count("Produto CAM-001 salvo.") == 1 and "Camiseta lisa" in edited
    # Read once: the next page has none.
    assert "Produto CAM-001 salvo." not in client.get(f"/inventory/products/{product.pk}/").content.decode()


def test_a_stock_form_posted_without_htmx_shows_its_message_once_on_the_product_page(client_as):
    product = ProductFactory()
    warehouse = Warehouse.objects.get(code="principal")
    page = client_as("staff").post(f"/inventory/products/{product.pk}/stock/adjust/",
                                   {"adjust-warehouse": warehouse.pk, "adjust-counted": "8"}, follow=True)
    assert page.content.decode().count("Estoque atualizado.") == 1


def test_an_htmx_fragment_carries_its_message_once_into_the_layouts_place(client_as):
    product = ProductFactory()
    warehouse = Warehouse.objects.get(code="principal")
    client = client_as("staff")
    fragment = client.post(f"/inventory/products/{product.pk}/stock/adjust/",
                           {"adjust-warehouse": warehouse.pk, "adjust-counted": "8"},
                           HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="stock"')
    assert fragment.count("Estoque atualizado.") == 1
    oob = fragment[fragment.index('<div id="messages"'):]
    assert 'hx-swap-oob="true"' in oob.split(">", 1)[0] and "Estoque atualizado." in oob
    # Shown with the fragment: not again on the next page.
    assert "Estoque atualizado." not in client.get(f"/inventory/products/{product.pk}/").content.decode()
    # A fragment of a request that left no message carries no messages block.
    listed = client.get("/inventory/products/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="messages"' not in listed


def test_a_receipt_through_htmx_shows_its_message_once(client_as):
    ProductFactory(gtin="7891000315507", cost=0)
    fragment = client_as("staff").post("/inventory/receipt/", {
        "product": "7891000315507", "warehouse": Warehouse.objects.get(code="principal").pk, "quantity": "12",
        "unit_cost": "8,50"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.count("Entrada de 12 ×") == 1


def test_only_the_layouts_show_messages():
    """No page or fragment template renders the messages itself (they would show twice on a page)."""
    including = sorted(
        str(path.relative_to(settings.BASE_DIR)) for path in Path(settings.BASE_DIR).rglob("templates/**/*.html")
        if ".venv" not in path.parts and '"partials/messages.html"' in path.read_text()
    )
    assert including == ["templates/base.html", "templates/registration/auth_base.html"]
