"""The NF-e built from an invoice: for a consumer and for companies (numeric and alphanumeric CNPJ),
within SP and between states, Simples Nacional and Regime Normal (with IBS/CBS), and a return —
each valid against the official XSD once signed, its signature checked by xmlsec1 too, and its
totals the sums of its items."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from pypdf import PdfReader

from fiscal import certificates, defaults, taxes
from fiscal.certificates import certificate_of
from fiscal.danfe import danfe_pdf
from fiscal.models import UF_CODES, Environment, Invoice, InvoiceItem, Operation, Regime, RegimeGroup, TaxRule
from fiscal.nfe import keys, signing, xml
from fiscal.nfe.build import HOMOLOGATION_NAME, SIMPLES_NOTE, build
from payments.models import Payment, ProviderAccount
from tests.fiscal.books_fixtures import authorize
from tests.fiscal.conftest import ALPHANUMERIC_CNPJ
from tests.fiscal.test_toolchain import xmlsec1

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DECEMBER_2026 = datetime(2026, 12, 2, 10, 30, tzinfo=SAO_PAULO)
N = {"n": xml.NFE_NS}
D = Decimal


def numbered(invoice: Invoice, profile, number: int) -> None:
    invoice.number, invoice.code = number, keys.new_code(number)
    invoice.key = keys.access_key(uf_code=UF_CODES[profile.uf], issued_at=invoice.issued_at, cnpj=profile.cnpj,
                                  series=invoice.series, number=number, code=invoice.code)


def store(invoice: Invoice, items: list[InvoiceItem]) -> list[InvoiceItem]:
    invoice.save()
    for item in items:
        item.invoice = invoice
    InvoiceItem.objects.bulk_create(items)
    for field, value in taxes.invoice_totals(items).items():
        setattr(invoice, field, value)
    invoice.save()
    return items


def sale(order, profile, *, number=1, when=DECEMBER_2026):
    """The order's NF-e of sale, numbered and keyed, with its items as the tax engine makes them."""
    customer = order.customer
    contributor = taxes.is_contributor(customer)
    invoice = Invoice(order=order, operation=defaults.operation_for(customer), environment=profile.environment,
                      series=1, issued_at=when, recipient_name=customer.name, recipient_document=customer.document,
                      recipient_uf=order.ship_uf, recipient_email=customer.email)
    numbered(invoice, profile, number)
    items = taxes.tax_items(profile=profile, operation=invoice.operation, destination_uf=order.ship_uf,
                            contributor=contributor, consumer=not contributor, lines=taxes.order_lines(order),
                            freight=order.shipping_total, issued_at=when)
    return invoice, store(invoice, items)


def signed(invoice, items, profile) -> bytes:
    return signing.sign(xml.serialize(build(invoice, items, profile)), certificate_of(profile))


def checked(invoice, items, profile, tmp_path) -> etree._Element:
    """The signed NF-e: valid against the XSD, its signature verified by signxml and by xmlsec1; its infNFe."""
    document = signed(invoice, items, profile)
    assert xml.validate(document, "nfe") == []
    signing.verify(document)
    result = xmlsec1(document, "infNFe", certificate_of(profile), tmp_path)
    assert result.returncode == 0, result.stderr
    return xml.parse(document).find("n:infNFe", N)


def text(node, path: str) -> str:
    return node.findtext(path, namespaces=N)


def texts(node, path: str) -> list[str]:
    return [element.text for element in node.findall(path, N)]


def assert_totals_are_the_items_sums(info):
    """ICMSTot's (and IBSCBSTot's) figures are the sums of the items' — the validation rules' check."""
    total = info.find("n:total/n:ICMSTot", N)
    for tag, path in [("vProd", "n:prod/n:vProd"), ("vDesc", "n:prod/n:vDesc"), ("vFrete", "n:prod/n:vFrete"),
                      ("vBC", "n:imposto/n:ICMS/*/n:vBC"), ("vICMS", "n:imposto/n:ICMS/*/n:vICMS"),
                      ("vST", "n:imposto/n:ICMS/*/n:vICMSST"), ("vPIS", "n:imposto/n:PIS/*/n:vPIS"),
                      ("vCOFINS", "n:imposto/n:COFINS/*/n:vCOFINS"), ("vIPI", "n:imposto/n:IPI/*/n:vIPI"),
                      ("vICMSUFDest", "n:imposto/n:ICMSUFDest/n:vICMSUFDest")]:
        items = sum((D(value) for det in info.findall("n:det", N) for value in texts(det, path)), D(0))
        assert D(text(total, f"n:{tag}") or "0") == items, tag
    assert D(text(total, "n:vNF")) == (D(text(total, "n:vProd")) - D(text(total, "n:vDesc"))
                                       + D(text(total, "n:vFrete")) + D(text(total, "n:vST"))
                                       + D(text(total, "n:vIPI")))
    ibscbs = info.find("n:total/n:IBSCBSTot", N)
    if ibscbs is not None:
        dets = info.findall("n:det", N)
        for tag, path in [("vBCIBSCBS", "n:vBC"), ("gIBS/n:vIBS", "n:vIBS"), ("gCBS/n:vCBS", "n:gCBS/n:vCBS"),
                          ("gIBS/n:gIBSUF/n:vIBSUF", "n:gIBSUF/n:vIBSUF")]:
            assert D(text(ibscbs, f"n:{tag}")) == sum(
                (D(text(det, f"n:imposto/n:IBSCBS/n:gIBSCBS/{path}")) for det in dets), D(0)), tag
        assert text(info, "n:total/n:vNFTot") == text(total, "n:vNF")  # 2026: IBS/CBS not added
        assert sum(D(text(det, "n:vItem")) for det in dets) == D(text(info, "n:total/n:vNFTot"))


def test_a_simples_sale_to_a_consumer_within_sp(fiscal_profile, series, consumer_order, tmp_path):
    invoice, items = sale(consumer_order, fiscal_profile)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    assert info.get("Id") == f"NFe{invoice.key}"
    ide = info.find("n:ide", N)
    assert [text(ide, f"n:{tag}") for tag in ("cUF", "mod", "serie", "nNF", "dhEmi", "tpNF", "idDest", "cMunFG",
                                              "tpAmb", "finNFe", "indFinal", "indPres", "indIntermed", "cDV")] == [
        "35", "55", "1", "1", "2026-12-02T10:30:00-03:00", "1", "1", "3550308", "2", "1", "1", "2", "0",
        invoice.key[-1]]
    assert text(ide, "n:cNF") == invoice.code and text(ide, "n:verProc").startswith("LojaBackoffice ")
    assert [text(info, f"n:emit/n:{tag}") for tag in ("CNPJ", "IE", "CRT")] == ["11222333000181", "110042490114", "1"]
    dest = info.find("n:dest", N)
    assert [text(dest, f"n:{tag}") for tag in ("CPF", "xNome", "indIEDest", "email")] == [
        "39053344705", HOMOLOGATION_NAME, "9", "maria@example.com"]
    assert [text(dest, f"n:enderDest/n:{tag}") for tag in ("xLgr", "cMun", "UF", "CEP", "cPais")] == [
        "Avenida Paulista", "3550308", "SP", "01310100", "1058"]
    shirt, cap = info.findall("n:det", N)
    assert [text(shirt, f"n:prod/n:{tag}") for tag in ("cProd", "NCM", "CFOP", "qCom", "vUnCom", "vProd", "vDesc",
                                                      "vFrete", "indTot")] == [
        "CAM-AZ-M", "61091000", "5102", "2.0000", "59.9000000000", "119.80", "5.00", "11.25", "1"]
    assert text(shirt, "n:prod/n:cEAN") == text(shirt, "n:prod/n:cEANTrib") == items[0].gtin
    assert text(cap, "n:prod/n:cEAN") == "SEM GTIN" and text(cap, "n:prod/n:vFrete") == "3.75"
    assert text(shirt, "n:imposto/n:ICMS/n:ICMSSN102/n:CSOSN") == "102"
    assert text(cap, "n:imposto/n:ICMS/n:ICMSSN102/n:orig") == "1"
    assert text(shirt, "n:imposto/n:PIS/n:PISOutr/n:CST") == "49"
    assert shirt.find("n:imposto/n:IBSCBS", N) is None and info.find("n:total/n:IBSCBSTot", N) is None
    assert shirt.find("n:imposto/n:IPI", N) is None
    assert text(info, "n:total/n:ICMSTot/n:vNF") == "169.70" == str(consumer_order.total)
    assert text(info, "n:transp/n:modFrete") == "0"
    assert [text(info, f"n:transp/n:vol/n:{tag}") for tag in ("pesoL", "pesoB")] == ["0.460", "0.590"]
    assert [text(info, f"n:pag/n:detPag/n:{tag}") for tag in ("indPag", "tPag", "vPag", "dPag")] == [
        "0", "17", "169.70", "2026-12-01"]
    assert text(info, "n:infAdic/n:infCpl") == f"Pedido {consumer_order.number}. {SIMPLES_NOTE}"
    assert_totals_are_the_items_sums(info)


def test_a_regime_normal_sale_to_a_contributor_in_rj_with_ibs_cbs(normal_profile, series, company_order, tmp_path):
    invoice, items = sale(company_order, normal_profile)
    info = checked(invoice, items, normal_profile, tmp_path)
    assert [text(info, f"n:ide/n:{tag}") for tag in ("idDest", "indFinal")] == ["2", "0"]
    assert text(info, "n:emit/n:CRT") == "3"
    assert [text(info, f"n:dest/n:{tag}") for tag in ("CNPJ", "indIEDest", "IE")] == [
        "11444777000161", "1", "81234566"]
    shirt = info.find("n:det", N)
    assert text(shirt, "n:prod/n:CFOP") == "6102"
    icms = shirt.find("n:imposto/n:ICMS/n:ICMS00", N)
    # 2 × 59,90 − 5,00 + 11,25 of the freight = 126,05 at 12 % (SP to RJ) = 15,13
    assert [text(icms, f"n:{tag}") for tag in ("CST", "modBC", "vBC", "pICMS", "vICMS")] == [
        "00", "3", "126.05", "12.0000", "15.13"]
    assert shirt.find("n:imposto/n:ICMSUFDest", N) is None  # a contributor: no DIFAL
    # PIS/COFINS on 126,05 − 15,13 = 110,92
    assert [text(shirt, f"n:imposto/n:PIS/n:PISAliq/n:{tag}") for tag in ("CST", "vBC", "pPIS", "vPIS")] == [
        "01", "110.92", "0.6500", "0.72"]
    ibscbs = shirt.find("n:imposto/n:IBSCBS", N)
    assert [text(ibscbs, path) for path in ("n:CST", "n:cClassTrib", "n:gIBSCBS/n:vBC",
                                            "n:gIBSCBS/n:gIBSUF/n:pIBSUF", "n:gIBSCBS/n:gIBSUF/n:vIBSUF",
                                            "n:gIBSCBS/n:gIBSMun/n:pIBSMun", "n:gIBSCBS/n:vIBS",
                                            "n:gIBSCBS/n:gCBS/n:pCBS", "n:gIBSCBS/n:gCBS/n:vCBS")] == [
        # 126,05 − 15,13 − 0,72 − 3,33 = 106,87: CBS 0,9 % = 0,96; IBS 0,1 % = 0,11
        "000", "000001", "106.87", "0.1000", "0.11", "0.0000", "0.11", "0.9000", "0.96"]
    assert text(shirt, "n:vItem") == "126.05"
    assert_totals_are_the_items_sums(info)


def test_a_company_with_an_alphanumeric_cnpj(normal_profile, series, alphanumeric_company_order, tmp_path):
    invoice, items = sale(alphanumeric_company_order, normal_profile)
    info = checked(invoice, items, normal_profile, tmp_path)
    assert [text(info, f"n:dest/n:{tag}") for tag in ("CNPJ", "indIEDest", "IE")] == [
        ALPHANUMERIC_CNPJ, "1", "1234567850"]
    assert text(info, "n:dest/n:enderDest/n:UF") == "PR" and text(info, "n:det/n:prod/n:CFOP") == "6102"
    assert_totals_are_the_items_sums(info)


def test_an_issuer_with_an_alphanumeric_cnpj(fiscal_profile, series, company_order, tmp_path):
    fiscal_profile.cnpj = ALPHANUMERIC_CNPJ
    fiscal_profile.save()
    pfx, password = certificates.test_certificate(cnpj=ALPHANUMERIC_CNPJ, name="Loja Alfanumerica Ltda")
    certificates.profile_set_certificate(profile=fiscal_profile, pfx=pfx, password=password)
    invoice, items = sale(company_order, fiscal_profile)
    assert invoice.key[6:20] == ALPHANUMERIC_CNPJ and keys.is_valid_key(invoice.key)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    assert text(info, "n:emit/n:CNPJ") == ALPHANUMERIC_CNPJ and info.get("Id") == f"NFe{invoice.key}"


def test_an_interstate_sale_to_a_consumer_in_mg_carries_difal(normal_profile, series, interstate_consumer_order,
                                                              tmp_path):
    invoice, items = sale(interstate_consumer_order, normal_profile)
    info = checked(invoice, items, normal_profile, tmp_path)
    assert [text(info, f"n:ide/n:{tag}") for tag in ("idDest", "indFinal")] == ["2", "1"]
    assert text(info, "n:dest/n:indIEDest") == "9" and text(info, "n:dest/n:IE") is None
    shirt, cap = info.findall("n:det", N)
    assert text(shirt, "n:prod/n:CFOP") == "6108"
    difal = shirt.find("n:imposto/n:ICMSUFDest", N)
    # 126,05 at MG's 18 % less the 12 % of SP: 6 % = 7,56, all to MG
    assert [text(difal, f"n:{tag}") for tag in ("vBCUFDest", "pICMSUFDest", "pICMSInter", "pICMSInterPart",
                                                "vICMSUFDest", "vICMSUFRemet")] == [
        "126.05", "18.0000", "12.00", "100.0000", "7.56", "0.00"]
    # The imported cap goes at 4 %: 43,65 × 14 % = 6,11
    assert [text(cap, f"n:imposto/n:ICMSUFDest/n:{tag}") for tag in ("pICMSInter", "vICMSUFDest")] == [
        "4.00", "6.11"]
    assert text(info, "n:total/n:ICMSTot/n:vICMSUFDest") == "13.67"
    assert text(info, "n:infAdic/n:infCpl").endswith("DIFAL (EC 87/2015) para a UF de destino MG: R$ 13,67.")
    assert_totals_are_the_items_sums(info)


def test_a_simples_interstate_sale_has_no_difal(fiscal_profile, series, interstate_consumer_order, tmp_path):
    invoice, items = sale(interstate_consumer_order, fiscal_profile)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    assert text(info, "n:ide/n:idDest") == "2"
    assert texts(info, "n:det/n:prod/n:CFOP") == ["6108", "6108"]
    assert info.find("n:det/n:imposto/n:ICMSUFDest", N) is None
    assert text(info, "n:total/n:ICMSTot/n:vICMSUFDest") is None


def test_a_return_refers_to_the_sale(normal_profile, series, interstate_consumer_order, tmp_path):
    original, sold = sale(interstate_consumer_order, normal_profile)
    Invoice.objects.filter(pk=original.pk).update(status=Invoice.Status.AUTHORIZED)
    shirt = sold[0]
    back = Invoice(order=interstate_consumer_order, refers_to=original, operation=Operation.RETURN,
                   direction=Invoice.Direction.INCOMING, purpose=Invoice.Purpose.RETURN,
                   environment=Environment.HOMOLOGATION, series=1,
                   issued_at=datetime(2026, 12, 9, 15, 0, tzinfo=SAO_PAULO))
    numbered(back, normal_profile, 2)
    items = store(back, taxes.tax_items(
        profile=normal_profile, operation=Operation.RETURN, destination_uf="MG", contributor=False, consumer=True,
        lines=[taxes.Line(product=shirt.product, quantity=D(1), unit_price=shirt.unit_price, returns_item=shirt)]))
    info = checked(back, items, normal_profile, tmp_path)
    assert [text(info, f"n:ide/n:{tag}") for tag in ("natOp", "tpNF", "idDest", "finNFe")] == [
        "Devolução de venda", "0", "2", "4"]
    assert texts(info, "n:ide/n:NFref/n:refNFe") == [original.key]
    det = info.find("n:det", N)
    assert [text(det, f"n:prod/n:{tag}") for tag in ("cProd", "CFOP", "qCom", "vProd")] == [
        "CAM-AZ-M", "2202", "1.0000", "59.90"]
    assert [text(det, f"n:DFeReferenciado/n:{tag}") for tag in ("chaveAcesso", "nItem")] == [original.key, "1"]
    # Half of the sale's ICMS (15,13 → 7,56) and DIFAL (7,56 → 7,78 is 3,78), rounded down
    assert text(det, "n:imposto/n:ICMS/n:ICMS00/n:vICMS") == "7.56"
    assert text(det, "n:imposto/n:ICMSUFDest/n:vICMSUFDest") == "3.78"
    assert text(det, "n:imposto/n:PIS/n:PISOutr/n:vPIS") == "0.00"  # no PIS credit in the cumulative regime
    assert [text(info, f"n:pag/n:detPag/n:{tag}") for tag in ("tPag", "vPag")] == ["90", "0.00"]
    assert text(info, "n:transp/n:modFrete") == "9"
    assert f"Devolução referente à NF-e 1/1, chave {original.key}." in text(info, "n:infAdic/n:infCpl")
    assert_totals_are_the_items_sums(info)


def test_from_december_2026_the_nfe_carries_the_qr_code_its_danfe_prints(fiscal_profile, series, consumer_order,
                                                                         tmp_path):
    """NT 2026.010's DANFE prints infNFeSupl/qrCode (NT 2026.003's QR Code of the model 55, version 3
    online) for an NF-e issued from 2026-12-01; one of November carries none."""
    november, items = sale(consumer_order, fiscal_profile, when=datetime(2026, 11, 30, 23, 59, tzinfo=SAO_PAULO))
    assert xml.parse(signed(november, items, fiscal_profile)).find("n:infNFeSupl", N) is None
    invoice, items = sale(consumer_order, fiscal_profile, number=2)
    checked(invoice, items, fiscal_profile, tmp_path)  # the XSD, signxml and xmlsec1 take it with its infNFeSupl
    document = signed(invoice, items, fiscal_profile)
    supplement = xml.parse(document).find("n:infNFeSupl", N)
    url = "https://hom.nfe.fazenda.gov.br/portal/consultaRecaptcha.aspx"  # homologação: the national portal
    assert (text(supplement, "n:qrCode"), text(supplement, "n:urlChave")) == (f"{url}?p={invoice.key}|3|2", url)
    Invoice.objects.filter(pk=invoice.pk).update(xml=document.decode())
    invoice.refresh_from_db()
    page = PdfReader(io.BytesIO(danfe_pdf(authorize(invoice)))).pages[0]
    assert "QR CODE" in page.extract_text()
    [qr_code] = page.images
    assert qr_code.image.width == qr_code.image.height


def test_in_production_the_recipient_has_its_name(fiscal_profile, series, consumer_order):
    fiscal_profile.environment = Environment.PRODUCTION
    invoice, items = sale(consumer_order, fiscal_profile)
    info = xml.parse(xml.serialize(build(invoice, items, fiscal_profile))).find("n:infNFe", N)
    assert (text(info, "n:ide/n:tpAmb"), text(info, "n:dest/n:xNome")) == ("1", "Maria da Silva")


def test_card_payments_in_installments(fiscal_profile, series, consumer_order, tmp_path):
    Payment.objects.filter(order=consumer_order).update(gross=D("100.00"))
    account = ProviderAccount.objects.create(provider="mercadopago", name="Mercado Pago")
    Payment.objects.create(account=account, provider="mercadopago", provider_payment_id="MP-1", order=consumer_order,
                           method="credit_card", brand="Visa", installments=3, status="approved", gross=D("69.70"),
                           net=D("66.00"), credited_to_order=True)
    invoice, items = sale(consumer_order, fiscal_profile)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    pix, card = info.findall("n:pag/n:detPag", N)
    assert [text(pix, "n:tPag"), text(pix, "n:vPag")] == ["17", "100.00"]
    assert [text(card, f"n:{tag}") for tag in ("indPag", "tPag", "vPag", "card/n:tpIntegra", "card/n:tBand")] == [
        "1", "03", "69.70", "2", "01"]


def test_without_payments_on_record_the_total_is_paid_as_other(fiscal_profile, series, consumer_order, tmp_path):
    Payment.objects.filter(order=consumer_order).update(credited_to_order=False)
    invoice, items = sale(consumer_order, fiscal_profile)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    assert [text(info, f"n:pag/n:detPag/n:{tag}") for tag in ("tPag", "xPag", "vPag")] == [
        "99", "Pagamento registrado no pedido", "169.70"]


def test_text_the_schema_refuses_is_folded(fiscal_profile, series, consumer_order, tmp_path):
    customer = consumer_order.customer
    consumer_order.ship_street = "  Rua  do Café  —  “Alto” \u2014 \U0001F600  "
    consumer_order.ship_complement = "   "
    consumer_order.save()
    fiscal_profile.environment = Environment.PRODUCTION
    customer.name = "Zoë  Ñandú\tLtda"
    customer.save()
    invoice, items = sale(consumer_order, fiscal_profile)
    invoice.recipient_name = ""
    info = checked(invoice, items, fiscal_profile, tmp_path)
    assert text(info, "n:dest/n:enderDest/n:xLgr") == "Rua do Café Alto"
    assert info.find("n:dest/n:enderDest/n:xCpl", N) is None
    assert text(info, "n:dest/n:xNome") == "Zoë Ñandú Ltda"


def test_ibs_cbs_from_2027_enter_the_total_with_vnftot(normal_profile, series, consumer_order, tmp_path):
    when = datetime(2027, 1, 4, 9, 0, tzinfo=SAO_PAULO)
    invoice, items = sale(consumer_order, normal_profile, when=when)
    info = checked(invoice, items, normal_profile, tmp_path)
    vnf, vnftot = D(text(info, "n:total/n:ICMSTot/n:vNF")), D(text(info, "n:total/n:vNFTot"))
    assert vnftot == vnf + sum(item.ibs_amount + item.cbs_amount for item in items)
    assert sum(D(value) for value in texts(info, "n:det/n:vItem")) == vnftot


@pytest.mark.parametrize("regime", [Regime.SIMPLES, Regime.NORMAL])
def test_an_icms_st_item(fiscal_profile, series, company_order, tmp_path, regime):
    fiscal_profile.regime = regime
    fiscal_profile.save()
    group = RegimeGroup.SIMPLES if regime == Regime.SIMPLES else RegimeGroup.NORMAL
    TaxRule.objects.create(operation=Operation.SALE_COMPANY, regime=group, ncm_prefix="6505", cfop="6401",
                           icms_code="202" if group == RegimeGroup.SIMPLES else "10", st_mva=D("40"),
                           st_rate=D("20"), pis_cst="49", cofins_cst="49", ibscbs_cst="000", ibscbs_class="000001",
                           cbs_rate=D("0.9"), ibs_state_rate=D("0.1"), ipi_cst="99")
    invoice, items = sale(company_order, fiscal_profile)
    info = checked(invoice, items, fiscal_profile, tmp_path)
    cap = info.findall("n:det", N)[1]
    st = cap.find("n:imposto/n:ICMS/*", N)
    assert etree.QName(st).localname == ("ICMSSN202" if regime == Regime.SIMPLES else "ICMS10")
    # 39,90 + 3,75 freight = 43,65 × 1,40 = 61,11 at 20 % = 12,22, less 4 % of 43,65 (1,75) = 10,47
    assert [text(st, f"n:{tag}") for tag in ("modBCST", "pMVAST", "vBCST", "pICMSST", "vICMSST")] == [
        "4", "40.0000", "61.11", "20.0000", "10.47"]
    assert text(cap, "n:imposto/n:IPI/n:IPITrib/n:CST") == "99" and text(cap, "n:imposto/n:IPI/n:cEnq") == "999"
    assert_totals_are_the_items_sums(info)


def test_a_simples_return_gives_back_the_st_under_csosn_900(fiscal_profile, series, company_order, tmp_path):
    TaxRule.objects.create(operation=Operation.SALE_COMPANY, regime=RegimeGroup.SIMPLES, ncm_prefix="6505",
                           cfop="6401", icms_code="202", st_mva=D("40"), st_rate=D("20"), pis_cst="49",
                           cofins_cst="49", ipi_cst="50", ipi_rate=D("10"))
    TaxRule.objects.filter(operation=Operation.RETURN, regime=RegimeGroup.SIMPLES).update(icms_code="102")
    original, sold = sale(company_order, fiscal_profile)
    cap = sold[1]
    back = Invoice(order=company_order, refers_to=original, operation=Operation.RETURN,
                   direction=Invoice.Direction.INCOMING, purpose=Invoice.Purpose.RETURN,
                   environment=Environment.HOMOLOGATION, series=1, issued_at=DECEMBER_2026)
    numbered(back, fiscal_profile, 2)
    items = store(back, taxes.tax_items(
        profile=fiscal_profile, operation=Operation.RETURN, destination_uf="RJ", contributor=True, consumer=False,
        lines=[taxes.Line(product=cap.product, quantity=D(1), unit_price=cap.unit_price, returns_item=cap)]))
    info = checked(back, items, fiscal_profile, tmp_path)
    icms = info.find("n:det/n:imposto/n:ICMS/n:ICMSSN900", N)
    assert [text(icms, f"n:{tag}") for tag in ("CSOSN", "vBCST", "vICMSST")] == ["900", str(cap.st_base),
                                                                               str(cap.st_amount)]
    # The IPI of the sale comes back with credit (CST 00), the return's rule naming no IPI CST.
    assert [text(info, f"n:det/n:imposto/n:IPI/n:IPITrib/n:{tag}") for tag in ("CST", "vIPI")] == [
        "00", str(cap.ipi_amount)]
    assert text(info, "n:total/n:ICMSTot/n:vNF") == str(cap.total)
    assert_totals_are_the_items_sums(info)
