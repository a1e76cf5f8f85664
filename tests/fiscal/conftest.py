"""The fiscal tests' shared fixtures: the store's fiscal profile in São Paulo (Simples Nacional,
or Regime Normal) with a test A1 certificate, its series, the default tax tables, and paid orders
ready to ship — to a consumer in SP, to companies (numeric and alphanumeric CNPJ) in RJ and PR,
to a consumer in MG — each with two items, an item discount and freight, paid by Pix."""

from datetime import date
from decimal import Decimal
from functools import cache

import pytest

from fiscal import defaults
from fiscal.certificates import profile_set_certificate, test_certificate
from fiscal.models import Environment, FiscalProfile, Regime, Series, StateTaxRate, TaxRule
from inventory import services as inventory
from inventory.models import Warehouse
from orders import services as orders
from orders.models import Address, City, Customer
from payments import services as payments
from payments.models import ProviderAccount
from tests.factories import ProductFactory, UserFactory

STORE_CNPJ = "11222333000181"
ALPHANUMERIC_CNPJ = "12ABC34501DE35"  # python-stdnum 2.2 validates it, and so does orders.validators


@cache
def store_pfx() -> tuple[bytes, str]:
    """One test certificate for the store per test run (an RSA key takes a while to make)."""
    return test_certificate(cnpj=STORE_CNPJ, name="Loja Teste Ltda")


@pytest.fixture
def tax_tables(db):
    """The default tax rules and state rates, as the data migration loads them (again if a
    transactional test flushed them)."""
    defaults.load(tax_rule_model=TaxRule, state_rate_model=StateTaxRate)


@pytest.fixture
def fiscal_profile(tax_tables):
    """The store: a Simples Nacional retailer in São Paulo/SP, homologation, test certificate."""
    profile = FiscalProfile.objects.create(
        pk=1, legal_name="Loja Teste Comércio Ltda", trade_name="Loja Teste", cnpj=STORE_CNPJ,
        state_registration="110042490114", municipal_registration="12345678", cnae="4781400",
        regime=Regime.SIMPLES, cep="01310100", street="Avenida Paulista", number="1000", complement="Conjunto 12",
        district="Bela Vista", city=City.objects.get(code="3550308"), phone="1133334444",
        environment=Environment.HOMOLOGATION, certificate={},
    )
    pfx, password = store_pfx()
    profile_set_certificate(profile=profile, pfx=pfx, password=password)
    return profile


@pytest.fixture
def normal_profile(fiscal_profile):
    """The same store in Regime Normal (CRT 3): CST codes, PIS/COFINS, IBS/CBS."""
    fiscal_profile.regime = Regime.NORMAL
    fiscal_profile.save()
    return fiscal_profile


@pytest.fixture
def series(fiscal_profile):
    return Series.objects.create(environment=Environment.HOMOLOGATION, number=1, next_number=1)


def _gtin(first12: str) -> str:
    """An EAN-13 with its check digit."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


@pytest.fixture
def products(db):
    """A T-shirt (national, with GTIN) and a cap (imported: origin 1, with a CEST), each with its weights, in stock."""
    shirt = ProductFactory(sku="CAM-AZ-M", name="Camiseta azul M", ncm="61091000", gtin=_gtin("789123456789"),
                           price=Decimal("59.90"), net_weight_kg=Decimal("0.180"), gross_weight_kg=Decimal("0.220"))
    cap = ProductFactory(sku="BONE-PT", name="Boné preto", ncm="65050090", cest="2803800", origin=1,
                         price=Decimal("39.90"),
                         net_weight_kg=Decimal("0.100"), gross_weight_kg=Decimal("0.150"))
    warehouse = Warehouse.objects.get(code="principal")
    for product in (shirt, cap):
        inventory.stock_receive(product=product, warehouse=warehouse, quantity=100, unit_cost=Decimal("10"),
                                user=None)
    return shirt, cap


@pytest.fixture
def make_paid_order(products):
    """`make_paid_order(customer, address)`: an order of 2 T-shirts (R$ 5,00 off) and a cap, R$ 15,00
    freight, paid by Pix in full — ready to ship."""
    shirt, cap = products
    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    cashier = UserFactory(username="caixa")

    def make(customer, address, *, items=None, shipping=Decimal("15.00")):
        lines = items or [orders.ItemInput(shirt, 2, Decimal("59.90"), Decimal("5.00")),
                          orders.ItemInput(cap, 1, Decimal("39.90"))]
        order, _created = orders.order_create(customer=customer, address=address, items=lines, channel="web",
                                              shipping=shipping)
        payments.payment_record_manual(account=account, order_number=order.number, method="pix", amount=order.total,
                                       paid_on=date(2026, 12, 1), reference=f"E2E{order.number}",
                                       payer_name=customer.name, user=cashier)
        order.refresh_from_db()
        assert order.status == "ready_to_ship", order.validation_failures
        return order

    return make


def _order_to(make_paid_order, *, city: str, cep: str, street: str, **customer):
    """A paid order of a new customer (`customer`: its fields) to its address downtown in `city`."""
    customer = Customer.objects.create(**customer)
    address = Address.objects.create(customer=customer, recipient=customer.name, cep=cep, street=street, number="100",
                                     district="Centro", city=City.objects.get(code=city), is_default=True)
    return make_paid_order(customer, address)


@pytest.fixture
def consumer_order(make_paid_order, customer, address):
    """To Maria da Silva (CPF) in São Paulo/SP: a sale within the state to a consumer."""
    return make_paid_order(customer, address)


@pytest.fixture
def company_order(make_paid_order):
    """To a company with a numeric CNPJ and its IE (an ICMS contributor) in Rio de Janeiro/RJ."""
    return _order_to(make_paid_order, city="3304557", cep="20040002", street="Avenida Rio Branco", kind="company",
                     name="Comercial Carioca Ltda", document="11444777000161", state_registration="81.234.56-6",
                     email="compras@carioca.example")


@pytest.fixture
def alphanumeric_company_order(make_paid_order):
    """To a company with an alphanumeric CNPJ (2026) and its IE in Curitiba/PR."""
    return _order_to(make_paid_order, city="4106902", cep="80010000", street="Rua XV de Novembro", kind="company",
                     name="Nova Era Distribuidora S.A.", document=ALPHANUMERIC_CNPJ, state_registration="1234567850",
                     email="fiscal@novaera.example")


@pytest.fixture
def interstate_consumer_order(make_paid_order):
    """To João Souza (CPF, no IE: a final consumer, not a contributor) in Belo Horizonte/MG: DIFAL."""
    return _order_to(make_paid_order, city="3106200", cep="30130000", street="Avenida Afonso Pena", kind="person",
                     name="João Souza", document="52998224725", email="joao@example.com", phone="(31) 98765-4321")
