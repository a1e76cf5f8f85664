import pytest

from orders.models import Address, City, Customer


@pytest.fixture
def customer(db):
    return Customer.objects.create(kind="person", name="Maria da Silva", document="39053344705", email="maria@example.com")


@pytest.fixture
def address(customer):
    """A complete address in São Paulo/SP."""
    return Address.objects.create(
        customer=customer, recipient="Maria da Silva", cep="01310100", street="Avenida Paulista", number="1000",
        district="Bela Vista", city=City.objects.get(code="3550308"), is_default=True,
    )
