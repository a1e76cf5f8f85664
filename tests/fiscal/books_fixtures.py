"""Invoices as SEFAZ left them, for the books, DANFE, archive and mail tests: rows with their
items and figures, and their documents — an NF-e (from nfelib's sample, with this invoice's key,
date and environment), signed with a test certificate, in its nfeProc with a protNFe; the events'
procEventoNFe and the voided ranges' ProcInutNFe the same way."""

from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import nfelib
from lxml import etree

from fiscal.certificates import load, test_certificate
from fiscal.models import Environment, Invoice, InvoiceEvent, InvoiceItem, Operation, VoidedRange
from fiscal.nfe.keys import access_key
from fiscal.nfe.signing import sign
from fiscal.nfe.xml import NFE_NS, event_proc, inut_proc, nfe_proc, parse

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CNPJ = "11222333000181"
SAMPLES = Path(nfelib.__file__).parent
SAMPLE_NFE = SAMPLES / "nfe/samples/v4_0/leiauteNFe/42220575277525000178550030000292481295366801-procNFe.xml"
SAMPLE_CCE = SAMPLES / "nfe_evento_cce/samples/v1_0/35180803102452000172550010000476051695511860-01-cce.xml"
SAMPLE_INUT = SAMPLES / "nfe/samples/v4_0/leiauteInutNFe/41080676472349000430550010000001041671821888-ped-inu.xml"
N = {"n": NFE_NS}


def sao_paulo(*args) -> datetime:
    return datetime(*args, tzinfo=SAO_PAULO)


@cache
def certificate():
    return load(*test_certificate(cnpj=CNPJ, name="LOJA TESTE LTDA"))


def _set(root, path, text):
    root.find(path, N).text = str(text)


def _signed(root) -> bytes:
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    return sign(etree.tostring(root), certificate())


def _stamp(when: datetime) -> str:
    return when.astimezone(SAO_PAULO).isoformat(timespec="seconds")


def authorized_xml(invoice: Invoice) -> str:
    """The nfeProc of `invoice` (its key, number, series, date, direction and environment)."""
    nfe = parse(SAMPLE_NFE.read_bytes()).find("n:NFe", N)
    info = nfe.find("n:infNFe", N)
    info.set("Id", f"NFe{invoice.key}")
    for path, value in [("n:ide/n:cUF", invoice.key[:2]), ("n:ide/n:cNF", invoice.key[35:43]),
                        ("n:ide/n:serie", invoice.series), ("n:ide/n:nNF", invoice.number),
                        ("n:ide/n:dhEmi", _stamp(invoice.issued_at)), ("n:ide/n:tpNF", invoice.direction),
                        ("n:ide/n:cDV", invoice.key[-1]), ("n:ide/n:tpAmb", invoice.environment),
                        ("n:emit/n:CNPJ", invoice.key[6:20]), ("n:dest/n:xNome", invoice.recipient_name)]:
        _set(info, path, value)
    return nfe_proc(_signed(nfe), protocol_of(invoice)).decode()


def protocol_of(invoice: Invoice) -> bytes:
    """SEFAZ's protNFe authorizing `invoice`, as its answer carries it."""
    return (f'<protNFe xmlns="{NFE_NS}" versao="4.00"><infProt><tpAmb>{invoice.environment}</tpAmb>'
            f"<verAplic>TESTE</verAplic><chNFe>{invoice.key}</chNFe><dhRecbto>{_stamp(invoice.issued_at)}"
            f"</dhRecbto><nProt>{invoice.protocol or '135260000000001'}</nProt><cStat>100</cStat>"
            "<xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe>").encode()


def authorize(invoice: Invoice) -> Invoice:
    """A signed invoice (H4's invoice_issue(send=False)) as SEFAZ's authorization leaves it."""
    xml = nfe_proc(invoice.xml.encode(), protocol_of(invoice)).decode()
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.AUTHORIZED, authorized_xml=xml,
                                                 authorized_at=invoice.issued_at)
    invoice.refresh_from_db()
    return invoice


def make_invoice(*, number, issued_at, items, status=Invoice.Status.AUTHORIZED, direction=Invoice.Direction.OUTGOING,
                 uf="SP", environment=Environment.HOMOLOGATION, series=1, email="", with_xml=True, cnpj=CNPJ,
                 **fields):
    """An invoice SEFAZ decided on, issued by `cnpj`, with `items` ({"cfop", "icms_code", "total", and any
    figure}); its totals are its items' sums."""
    key = access_key(uf_code="35", issued_at=issued_at, cnpj=cnpj, series=series, number=number,
                     code=f"{number + 10_000_000:08d}")
    invoice = Invoice(
        operation=Operation.SALE_CONSUMER if direction == Invoice.Direction.OUTGOING else Operation.RETURN,
        direction=direction, environment=environment, series=series, number=number, key=key, code=key[35:43],
        status=status, issued_at=issued_at, recipient_name=f"Cliente {number}", recipient_document="39053344705",
        recipient_uf=uf, recipient_email=email, protocol=f"1352600000{number:05d}", authorized_at=issued_at,
        **fields)
    sums = {"total": "total", "products_total": "gross", "icms_base": "icms_base", "icms_total": "icms_amount",
            "st_base": "st_base", "st_total": "st_amount", "difal_total": "difal_amount", "fcp_total": "fcp_amount",
            "ipi_total": "ipi_amount", "pis_total": "pis_amount", "cofins_total": "cofins_amount",
            "ibs_total": "ibs_amount", "cbs_total": "cbs_amount"}
    figures = [{"gross": item["total"], **item} for item in items]
    for total, figure in sums.items():
        setattr(invoice, total, sum((Decimal(item.get(figure, 0)) for item in figures), Decimal("0.00")))
    if with_xml:
        invoice.authorized_xml = authorized_xml(invoice)
    invoice.save()
    for position, item in enumerate(figures, start=1):
        InvoiceItem.objects.create(invoice=invoice, position=position, sku=f"SKU-{position}", name="Camiseta",
                                   ncm="61091000", unit="UN", quantity=1, unit_price=item["total"], pis_cst="49",
                                   cofins_cst="49", **item)
    return invoice


def _event(invoice, tpevento, sequence, when, detail):
    root = parse(SAMPLE_CCE.read_bytes())
    info = root.find("n:infEvento", N)
    info.set("Id", f"ID{tpevento}{invoice.key}{sequence:02d}")
    for path, value in [("n:tpAmb", invoice.environment), ("n:CNPJ", CNPJ), ("n:chNFe", invoice.key),
                        ("n:dhEvento", _stamp(when)), ("n:tpEvento", tpevento), ("n:nSeqEvento", sequence),
                        ("n:cOrgao", invoice.key[:2])]:
        _set(info, path, value)
    info.replace(info.find("n:detEvento", N), etree.fromstring(f'<detEvento xmlns="{NFE_NS}" versao="1.00">'
                                                               f"{detail}</detEvento>"))
    return _signed(root)


def make_event(invoice, *, kind, sequence=1, when, text="Cliente desistiu da compra"):
    """A registered cancellation or CC-e of `invoice`, with its procEventoNFe."""
    protocol = f"1352600001{invoice.number:03d}{sequence:02d}"
    if kind == InvoiceEvent.Kind.CANCELLATION:
        detail = f"<descEvento>Cancelamento</descEvento><nProt>{invoice.protocol}</nProt><xJust>{text}</xJust>"
    else:
        detail = f"<descEvento>Carta de Correcao</descEvento><xCorrecao>{text}</xCorrecao><xCondUso>Uso</xCondUso>"
    signed = _event(invoice, kind, sequence, when, detail)
    answer = (f'<retEvento xmlns="{NFE_NS}" versao="1.00"><infEvento><tpAmb>{invoice.environment}</tpAmb>'
              f"<verAplic>TESTE</verAplic><cOrgao>35</cOrgao><cStat>135</cStat><xMotivo>Evento registrado</xMotivo>"
              f"<chNFe>{invoice.key}</chNFe><tpEvento>{kind}</tpEvento><nSeqEvento>{sequence}</nSeqEvento>"
              f"<dhRegEvento>{_stamp(when)}</dhRegEvento><nProt>{protocol}</nProt></infEvento></retEvento>")
    return InvoiceEvent.objects.create(
        invoice=invoice, kind=kind, sequence=sequence, text=text, status=InvoiceEvent.Status.REGISTERED,
        status_code="135", xml=signed.decode(), registered_xml=event_proc(signed, answer.encode()).decode(),
        protocol=protocol, occurred_at=when, registered_at=when)


def make_voided(*, first, last, when, series=1, environment=Environment.HOMOLOGATION):
    """A registered voided range (inutilização) with its ProcInutNFe."""
    root = parse(SAMPLE_INUT.read_bytes())
    info = root.find("n:infInut", N)
    year = f"{when:%y}"
    info.set("Id", f"ID35{year}{CNPJ}55{series:03d}{first:09d}{last:09d}")
    for path, value in [("n:tpAmb", environment), ("n:cUF", "35"), ("n:ano", year), ("n:CNPJ", CNPJ),
                        ("n:serie", series), ("n:nNFIni", first), ("n:nNFFin", last)]:
        _set(info, path, value)
    signed = _signed(root)
    protocol = f"1352600002{first:05d}"
    answer = (f'<retInutNFe xmlns="{NFE_NS}" versao="4.00"><infInut><tpAmb>{environment}</tpAmb>'
              f"<verAplic>TESTE</verAplic><cStat>102</cStat><xMotivo>Inutilizacao de numero homologado</xMotivo>"
              f"<cUF>35</cUF><dhRecbto>{_stamp(when)}</dhRecbto><nProt>{protocol}</nProt></infInut></retInutNFe>")
    return VoidedRange.objects.create(
        environment=environment, series=series, first=first, last=last, year=when.year,
        reason="Numeracao pulada por falha no sistema", status=VoidedRange.Status.REGISTERED, status_code="102",
        xml=signed.decode(), registered_xml=inut_proc(signed, answer.encode()).decode(), protocol=protocol,
        registered_at=when)
