from decimal import Decimal

import pytest
from django.core.cache import cache

from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from payments.providers.mercadopago.sandbox import MercadoPagoSandbox
from tests.factories import ProductFactory
from tests.fake_server import serve


@pytest.fixture(autouse=True)
def no_rejections_counted():
    """Each test starts with no rejected webhooks counted (the limiter keeps its counts in the cache)."""
    cache.clear()


@pytest.fixture
def make_order(customer, address):
    """`make_order(total)`: an order of one item at `total`, in stock, awaiting payment."""

    def make(total: Decimal):
        product = ProductFactory(price=total)
        inventory.stock_receive(product=product, warehouse=Warehouse.objects.get(code="principal"), quantity=5,
                                unit_cost=Decimal("1"), user=None)
        placed, _ = orders.order_create(customer=customer, address=address, channel="web",
                                        items=[orders.ItemInput(product, 1, total)])
        return placed

    return make


@pytest.fixture
def order(make_order):
    """An order of R$ 58,80 (the total of Mercado Pago's sample payment)."""
    return make_order(Decimal("58.80"))


@pytest.fixture
def mercadopago_api(settings):
    """Mercado Pago's API (the sandbox's) on a local port."""
    server = serve(MercadoPagoSandbox(token="APP_USR-token"))
    settings.MERCADOPAGO_API_URL = server.url
    yield server
    server.close()
