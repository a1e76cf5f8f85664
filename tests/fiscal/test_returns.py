"""Return NF-e: the entry of goods a customer sent back, against the authorized sale — refNFe and
item references, the return's CFOP and codes, quantities and taxes in proportion to the sale and
never more than it, authorized by SEFAZ (its simulator refuses a return without a reference)."""

from decimal import Decimal

import pytest

from backoffice.states import events_of
from fiscal import selectors, services
from fiscal.models import Invoice
from fiscal.nfe.xml import NFE_NS, parse
from fiscal.services import FiscalError
from tests.fiscal.services_support import (  # noqa: F401 (fixtures)
    authorized,
    canceller,
    errors_of,
    issue,
    issuer,
    sefaz,
)

pytestmark = pytest.mark.django_db
NS = {"n": NFE_NS}


@pytest.fixture
def give_back(issuer, run_queued_tasks):
    """`give_back(original, {item: quantity})`: the return issued and sent; fresh from the database."""

    def run(original, quantities, **kwargs):
        with run_queued_tasks():
            invoice = services.return_invoice(original=original, quantities=quantities, user=issuer, **kwargs)
        invoice.refresh_from_db()
        return invoice

    return run


def items_of(invoice):
    return list(invoice.items.order_by("position"))


def test_a_return_is_an_entry_nfe_referring_to_the_sale(authorized, give_back, consumer_order):
    shirts, cap = items_of(authorized)
    back = give_back(authorized, {shirts: 1}, reason="Tamanho errado")
    assert back.status == Invoice.Status.AUTHORIZED, (back.status_code, back.status_message)
    assert (back.direction, back.purpose, back.operation) == (0, 4, "return")
    assert (back.refers_to, back.order, back.number) == (authorized, consumer_order, 2)
    info = parse(back.xml.encode()).find("n:infNFe", NS)
    assert info.findtext("n:ide/n:tpNF", namespaces=NS) == "0"
    assert info.findtext("n:ide/n:finNFe", namespaces=NS) == "4"
    assert info.findtext("n:ide/n:NFref/n:refNFe", namespaces=NS) == authorized.key
    det = info.find("n:det", NS)
    assert det.findtext("n:DFeReferenciado/n:chaveAcesso", namespaces=NS) == authorized.key
    assert det.findtext("n:DFeReferenciado/n:nItem", namespaces=NS) == str(shirts.position)
    assert errors_of(back.authorized_xml, "nfe") == []
    [item] = items_of(back)
    assert (item.returns_item, item.quantity, item.cfop) == (shirts, 1, "1202")
    assert item.gross == shirts.gross / 2 and item.discount == shirts.discount / 2
    assert item.total == back.total
    # The order is not moved back by a return NF-e: it was invoiced, and stays as the returns flow leaves it.
    consumer_order.refresh_from_db()
    assert consumer_order.status == "invoiced"
    assert [event.code for event in events_of(back)][:2] == ["invoice.created", "invoice.signed"]


def test_returns_never_give_back_more_than_was_sold(authorized, give_back):
    shirts, cap = items_of(authorized)
    first = give_back(authorized, {shirts.pk: Decimal(1)})
    with pytest.raises(FiscalError, match="CAM-AZ-M"):
        services.return_invoice(original=authorized, quantities={shirts: 2}, user=first.issued_by)
    second = give_back(authorized, {shirts: 1, cap: 1})
    assert second.status == Invoice.Status.AUTHORIZED
    # Both returns give back the whole item, to the cent.
    returned = [item for invoice in (first, second) for item in items_of(invoice) if item.returns_item == shirts]
    for figure in ("gross", "discount", "freight", "total"):
        assert sum(getattr(item, figure) for item in returned) == getattr(shirts, figure)
    assert [(item, returned, left) for item, returned, left in selectors.returnable_items(authorized)] == [
        (shirts, 2, 0), (cap, 1, 0)]
    with pytest.raises(FiscalError):
        services.return_invoice(original=authorized, quantities={cap: 1}, user=first.issued_by)


def test_a_cancelled_return_gives_its_quantities_back(authorized, give_back, canceller, run_queued_tasks):
    shirts, _cap = items_of(authorized)
    back = give_back(authorized, {shirts: 2})
    with run_queued_tasks():
        services.invoice_cancel(invoice=back, user=canceller, reason="Devolução registrada por engano")
    back.refresh_from_db()
    assert back.status == Invoice.Status.CANCELLED
    assert give_back(authorized, {shirts: 2}).status == Invoice.Status.AUTHORIZED


@pytest.mark.parametrize("quantities", [{}, {"shirts": 0}, {"shirts": -1}, {"other": 1}])
def test_it_refuses_what_is_no_return(authorized, issuer, quantities):
    shirts, _cap = items_of(authorized)
    named = {"shirts": shirts.pk, "other": 999_999}
    with pytest.raises(FiscalError):
        services.return_invoice(original=authorized, user=issuer,
                                quantities={named[name]: quantity for name, quantity in quantities.items()})
    assert Invoice.objects.count() == 1


def test_goods_come_back_only_against_an_authorized_sale(authorized, issuer, canceller, run_queued_tasks):
    with run_queued_tasks():
        services.invoice_cancel(invoice=authorized, user=canceller, reason="Pedido cancelado pelo cliente")
    shirts, _cap = items_of(authorized)
    with pytest.raises(FiscalError):
        services.return_invoice(original=authorized, quantities={shirts: 1}, user=issuer)


def test_an_interstate_return_takes_the_interstate_cfop(issue, interstate_consumer_order, give_back):
    original = issue(interstate_consumer_order)
    shirts, _cap = items_of(original)
    [item] = items_of(give_back(original, {shirts: 1}))
    assert item.cfop == "2202"
