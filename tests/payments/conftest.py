from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from tests.factories import ProductFactory


@pytest.fixture
def order(customer, address):
    """An order of R$ 58,80 (the total of the providers' sample payments), awaiting payment."""
    product = ProductFactory(price=Decimal("58.80"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                            unit_cost=Decimal("20"), user=None)
    placed, _ = orders.order_create(customer=customer, address=address, channel="web",
                                    items=[orders.ItemInput(product, 1, Decimal("58.80"))])
    return placed
