"""The logistics tests' shared fixtures: the carriers (Correios through its API, SEDEX and PAC with
their tables; Jadlog by its table only; the store's own fleet), two boxes, the shelf locations of
the fiscal tests' products, staff who pack, and orders ready to ship or invoiced (their NF-e
authorized by SEFAZ's simulator) — the fiscal tests' fixtures, reused."""

from decimal import Decimal

import pytest

from fiscal.models import Invoice
from fiscal.providers.sefaz.sandbox import authorize
from fiscal.services import invoice_apply_protocol, invoice_from_order, invoice_issue
from inventory.models import StockLevel
from logistics.models import Box, Carrier, CarrierService, FreightRate
from tests.fiscal.conftest import (  # noqa: F401 (fixtures)
    consumer_order,
    fiscal_profile,
    interstate_consumer_order,
    make_paid_order,
    products,
    series,
    tax_tables,
)
from tests.fiscal.services_support import issue, issuer, person, sefaz  # noqa: F401 (fixtures)

# São Paulo's capital and Minas Gerais (the fiscal fixtures' consumers are in 01310-100 and 30130-000).
SP_CAPITAL = ("01000000", "05999999")
MG = ("30000000", "39999999")


def _rates(service, rows):
    FreightRate.objects.bulk_create([
        FreightRate(service=service, cep_start=start, cep_end=end, weight_up_to_kg=Decimal(weight),
                    price=Decimal(price), days=days)
        for (start, end), weight, price, days in rows])


@pytest.fixture
def carriers(db):
    """Correios (its API: SEDEX 03220, PAC 03298), Jadlog (.Package, its table only) and the own fleet
    (no table: free, 1 day); the tables cover São Paulo's capital and Minas Gerais, bands of 1, 5 and
    30 kg."""
    correios = Carrier.objects.create(code="correios", name="Correios", provider="correios",
                                      tracking_url="https://rastreamento.correios.com.br/app/index.php?objeto={code}")
    sedex = CarrierService.objects.create(carrier=correios, code="03220", name="SEDEX", handling_days=1)
    pac = CarrierService.objects.create(carrier=correios, code="03298", name="PAC", handling_days=1)
    jadlog = Carrier.objects.create(code="jadlog", name="Jadlog", cubic_factor=5000,
                                    tracking_url="https://www.jadlog.com.br/tracking?cte={code}")
    package = CarrierService.objects.create(carrier=jadlog, code="package", name=".Package", handling_days=1)
    fleet = Carrier.objects.create(code="frota", name="Frota própria", kind=Carrier.Kind.OWN_FLEET)
    own = CarrierService.objects.create(carrier=fleet, code="moto", name="Motoboy", days=1, handling_days=0,
                                        max_weight_kg=Decimal("10"))
    _rates(sedex, [(SP_CAPITAL, "1", "21.50", 1), (SP_CAPITAL, "5", "32.90", 1), (SP_CAPITAL, "30", "89.00", 2),
                   (MG, "1", "45.10", 3), (MG, "5", "71.30", 3), (MG, "30", "180.00", 4)])
    _rates(pac, [(SP_CAPITAL, "1", "15.20", 4), (SP_CAPITAL, "5", "22.40", 4), (SP_CAPITAL, "30", "61.00", 5),
                 (MG, "1", "27.80", 7), (MG, "5", "39.90", 7), (MG, "30", "99.00", 9)])
    _rates(package, [(SP_CAPITAL, "1", "14.00", 3), (SP_CAPITAL, "5", "19.00", 3), (SP_CAPITAL, "30", "55.00", 4),
                     (MG, "5", "35.00", 5), (MG, "30", "90.00", 6)])
    return {"correios": correios, "sedex": sedex, "pac": pac, "jadlog": jadlog, "package": package, "fleet": fleet,
            "own": own}


@pytest.fixture
def boxes(db):
    small = Box.objects.create(name="Caixa P", length_cm=Decimal("25"), width_cm=Decimal("18"),
                               height_cm=Decimal("8"), weight_kg=Decimal("0.150"))
    large = Box.objects.create(name="Caixa G", length_cm=Decimal("40"), width_cm=Decimal("30"),
                               height_cm=Decimal("20"), weight_kg=Decimal("0.400"))
    return small, large


@pytest.fixture
def shelved(products):
    """The T-shirts on shelf B-02-1, the caps on A-01-3 (the picking list walks A before B)."""
    shirt, cap = products
    StockLevel.objects.filter(product=shirt).update(location="B-02-1")
    StockLevel.objects.filter(product=cap).update(location="A-01-3")
    return products


@pytest.fixture
def packer(db):
    """Paula, of staff: she picks, packs and ships."""
    return person("staff", "paula")


def authorized_nfe(order, user) -> Invoice:
    """`order`'s NF-e issued and authorized by SEFAZ's simulator in process, as the demo's are (the
    NF-e's own tests cover the web services; a test that sends one, as a return NF-e is sent, asks for
    the `sefaz` fixture)."""
    invoice = invoice_issue(invoice=invoice_from_order(order=order, user=user), user=user, send=False)
    invoice = invoice_apply_protocol(invoice=invoice, protocol=authorize(invoice.xml.encode()))
    assert invoice.status == Invoice.Status.AUTHORIZED, (invoice.status_code, invoice.status_message)
    return invoice


@pytest.fixture
def authorized(consumer_order, fiscal_profile, series, issuer):
    """The consumer order's NF-e, authorized (authorized_nfe)."""
    return authorized_nfe(consumer_order, issuer)


@pytest.fixture
def invoiced_order(authorized):
    """The consumer order (to São Paulo/SP: 2 T-shirts and a cap), its NF-e authorized: invoiced."""
    order = authorized.order
    order.refresh_from_db()
    assert order.status == "invoiced"
    return order
