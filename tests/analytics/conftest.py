"""The analytics tests' shared fixture: a product in stock to sell."""

from decimal import Decimal

import pytest

from inventory import services as inventory
from inventory.models import Warehouse
from tests.factories import ProductFactory


@pytest.fixture
def shirt(db):
    """A R$ 100,00 T-shirt, 1,000 in stock at R$ 40,00."""
    product = ProductFactory(price=Decimal("100.00"))
    inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=1000,
                            unit_cost=Decimal("40"), user=None)
    return product
