import pytest

from inventory import services
from inventory.models import Warehouse
from tests.factories import ProductFactory, WarehouseFactory


@pytest.fixture
def main_warehouse(db):
    """The warehouse every installation starts with (created by a migration)."""
    return Warehouse.objects.get(code="principal")


@pytest.fixture
def second_warehouse(db):
    return WarehouseFactory(code="cd2", priority=5)


@pytest.fixture
def stocked(main_warehouse):
    """`stocked(10)`: a new product with that many sellable units in the main warehouse."""

    def make(quantity, warehouse=None, **fields):
        product = ProductFactory(**fields)
        if quantity:
            services.stock_receive(product=product, warehouse=warehouse or main_warehouse, quantity=quantity,
                                   unit_cost=product.cost, user=None)
        return product

    return make
