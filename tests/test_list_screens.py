"""What the list screens say: the empty state that fits, links from one module's rows to the
order behind them, the validation queue's reasons, the stock ledger's running balance, SKUs
on one line."""

from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from payments.models import Payment, ProviderAccount
from tests.factories import ProductFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(customer, address):
    """An order of two units of a product received ten at a time, its stock reserved."""
    product = ProductFactory(sku="CAM-LISTRADA-GG", price=Decimal("80.00"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=10,
                            unit_cost=Decimal("30"), user=None)
    order, _ = orders.order_create(customer=customer, address=address, channel="web",
                                   items=[orders.ItemInput(product, 2, Decimal("80.00"))])
    return order


def test_an_empty_list_says_there_is_nothing_yet_and_nothing_about_filters(client_as):
    html = client_as("staff").get("/orders/", {"sort": "number"}).content.decode()
    assert "Nenhum pedido ainda." in html
    assert "Nenhum resultado para estes filtros." not in html


def test_a_filter_matching_nothing_says_so_and_not_that_the_list_is_empty(client_as, placed):
    html = client_as("staff").get("/orders/", {"q": "ninguém com este nome"}).content.decode()
    assert "Nenhum resultado para estes filtros." in html
    assert "Nenhum pedido ainda." not in html


def test_the_payments_list_links_each_order_number_to_its_order(client_as, placed):
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    Payment.objects.create(account=account, provider_payment_id="PIX-1", method="pix", status="approved",
                           order=placed, gross=Decimal("160.00"), net=Decimal("160.00"))
    Payment.objects.create(account=account, provider_payment_id="PIX-2", method="pix", status="approved",
                           gross=Decimal("5.00"), net=Decimal("5.00"))
    html = client_as("finance").get("/payments/").content.decode()
    assert f'<a href="/orders/{placed.pk}/">#{placed.number}</a>' in html


def test_reservations_on_the_product_page_link_to_their_order(client_as, placed):
    product = placed.items.get().product
    html = client_as("staff").get(f"/inventory/products/{product.pk}/").content.decode()
    assert f'<a href="/orders/{placed.pk}/">#{placed.number}</a>: 2 @ principal' in html
    assert f"order:{placed.pk}" not in html


def test_the_ledger_links_an_order_movement_and_shows_the_balance_after_each_movement(client_as, placed):
    product = placed.items.get().product
    main = Warehouse.objects.get(code="principal")
    orders.order_confirm_payment(order=placed, amount=placed.total)
    orders.order_invoice(order=placed, user=None)
    orders.order_ship(order=placed, user=None)  # the sale leaves stock: 10 - 2
    inventory.stock_receive(product=product, warehouse=main, quantity=5, unit_cost=Decimal("30"), user=None)
    client = client_as("staff")

    table = client.get("/inventory/ledger/", {"q": product.sku}).context["table"]
    assert [(m.kind, m.balance) for m in table.page.object_list] == [("receipt", 13), ("sale", 8), ("receipt", 10)]
    html = client.get("/inventory/ledger/", {"q": product.sku}).content.decode()
    assert f'<a href="/orders/{placed.pk}/">#{placed.number}</a>' in html
    assert '<span class="text-nowrap">CAM-LISTRADA-GG</span>' in html
    # Filtered to receipts, each still shows the level's balance, the sale counted.
    receipts = client.get("/inventory/ledger/", {"q": product.sku, "kind": "receipt"}).context["table"]
    assert [m.balance for m in receipts.page.object_list] == [13, 10]


def test_the_ledger_with_references_runs_the_same_queries_for_25_rows_as_for_100(client_as, customer, address):
    main = Warehouse.objects.get(code="principal")
    for n in range(55):
        product = ProductFactory()
        inventory.stock_receive(product=product, warehouse=main, quantity=3, unit_cost=Decimal("1"), user=None)
        order, _ = orders.order_create(customer=customer, address=address, channel="web",
                                       items=[orders.ItemInput(product, 1, Decimal("10.00"))])
        # A return of the order: a movement that names it.
        inventory.stock_return(product=product, warehouse=main, quantity=1, user=None, reference=order.reference)
    client = client_as("admin")
    counts, shown = queries_per_page_size(client, "/inventory/ledger/")
    response = client.get("/inventory/ledger/")
    returns = sum(1 for movement in response.context["table"].page.object_list if movement.reference)
    assert returns and response.content.decode().count('<a href="/orders/') == returns
    assert shown == [25, 100]
    assert counts[0] == counts[1]


def test_the_validation_queue_says_why_each_order_is_there(client_as, placed):
    orders.order_confirm_payment(order=placed, amount=placed.total + Decimal("10.00"))
    placed.refresh_from_db()
    assert placed.in_validation_queue
    client = client_as("staff")
    html = client.get("/orders/", {"queue": "true"}).content.decode()
    assert "Por que está na fila" in html
    assert "; ".join(placed.failed_checks) in html and placed.failed_checks
    assert "Por que está na fila" not in client.get("/orders/").content.decode()


def test_no_template_comment_leaks_into_the_layout(client_as):
    html = client_as("staff").get("/orders/").content.decode()
    assert "{#" not in html and "Under the Content-Security-Policy" not in html
