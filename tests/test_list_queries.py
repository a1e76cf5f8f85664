"""The stock lists and the customer list run the same number of queries for a page of 25 rows
as for one of 100."""

from decimal import Decimal

import pytest
from django.utils import timezone

from inventory import services
from inventory.models import ReorderAlert, Warehouse
from orders.models import Customer
from tests.factories import ProductFactory, WarehouseFactory
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db
ROWS = 110


@pytest.fixture
def many_rows(role_user):
    """ROWS products, each low on stock (one unit received, reorder point 5: a movement each) with
    a reorder alert; ROWS warehouses; ROWS customers."""
    main = Warehouse.objects.get(code="principal")
    products = [ProductFactory(reorder_point=5) for _ in range(ROWS)]
    for product in products:
        services.stock_receive(product=product, warehouse=main, quantity=1, unit_cost=Decimal("1"), user=None)
    ReorderAlert.objects.bulk_create([
        ReorderAlert(product=p, day=timezone.localdate(), available=1, reorder_point=5, sold_last_30_days=0,
                     suggested_quantity=5) for p in products])
    for _ in range(ROWS):
        WarehouseFactory()
    Customer.objects.bulk_create([Customer(name=f"Cliente {i:03d}", document=f"{i:011d}") for i in range(ROWS)])


@pytest.mark.parametrize("url", ["/inventory/ledger/", "/inventory/low-stock/", "/inventory/low-stock/alerts/",
                                 "/inventory/warehouses/", "/orders/customers/"])
def test_a_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, many_rows, url):
    counts, shown = queries_per_page_size(client_as("admin"), url)
    assert shown == [25, 100]
    assert counts[0] == counts[1]
