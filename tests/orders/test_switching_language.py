"""Switching the language (the menu's language form) switches what was written before: the
order's timeline, the audit log's labels and the error pages."""

from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import Warehouse
from orders import services
from orders.services import ItemInput
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

SEEN = {
    "en": ["Order received.", "Stock reserved.", "Order → Awaiting payment", "Page not found"],
    "pt-br": ["Pedido recebido.", "Estoque reservado.", "Pedido → Aguardando pagamento", "Página não encontrada"],
}


@pytest.fixture
def order(customer, address):
    shirt = ProductFactory(sku="CAM-1", price=Decimal("59.90"))
    inventory.stock_receive(product=shirt, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    placed, _created = services.order_create(customer=customer, address=address, channel="manual",
                                             items=[ItemInput(shirt, 2, Decimal("59.90"))], shipping=Decimal("15.00"))
    return placed


@pytest.mark.parametrize("first, then", [("pt-br", "en"), ("en", "pt-br")])
def test_switching_the_language_switches_timelines_audit_labels_and_error_pages(client_as, settings, order, first,
                                                                                  then):
    settings.DEBUG = False
    client = client_as("admin")
    for language in (first, then):
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        pages = (client.get(f"/orders/{order.pk}/"), client.get("/audit/"), client.get("/no-such-page/"))
        assert [page.status_code for page in pages] == [200, 200, 404]
        html = "".join(page.content.decode() for page in pages)
        assert all(text in html for text in SEEN[language]), language
        other = "en" if language == "pt-br" else "pt-br"
        assert not any(text in html for text in SEEN[other]), language
