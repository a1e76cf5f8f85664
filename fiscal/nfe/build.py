"""The NF-e (layout 4.00, schema package PL_010) of an invoice, as nfelib's bindings — never
hand-written XML: identification, issuer, recipient, items with their taxes by code, totals
(ICMSTot, and IBSCBSTot with vNFTot when IBS/CBS are due), transport, payments and the
additional information the Simples Nacional, DIFAL and returns ask for. Unsigned: signing adds
the Signature."""

import functools
import re
import unicodedata
from datetime import date
from decimal import Decimal
from importlib.metadata import version

from django.utils import translation
from nfelib.nfe.bindings.v4_0.dfe_tipos_basicos_v1_00 import TcibsNfe, TibscbsmonoTot, TtribNfe
from nfelib.nfe.bindings.v4_0.leiaute_nfe_v4_00 import Tendereco, TenderEmi, Tipi, Tnfe
from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
from stdnum import ean

from backoffice.money import ZERO, format_money, format_number

from ..models import UF_CODES, Environment, Invoice, Operation, Regime
from ..taxes import (
    IBSCBS_WITHOUT_VALUES,
    IPI_WITH_VALUES,
    PIS_COFINS_NOT_TAXED,
    ibscbs_charged,
    ie_indicator,
)
from .keys import SAO_PAULO
from .xml import nfe_time

InfNfe = Tnfe.InfNfe
Det = InfNfe.Det
Imposto = Det.Imposto
Icms = Imposto.Icms

LAYOUT = "4.00"
BRAZIL = "1058"
HOMOLOGATION_NAME = "NF-E EMITIDA EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL"
NO_GTIN = "SEM GTIN"
# verProc holds 20 characters.
APPLICATION = f"LojaBackoffice {version('loja-backoffice')}"[:20]
NATURE = {  # natOp, in the NF-e's language whatever the reader's
    Operation.SALE_CONSUMER: "Venda de mercadoria",
    Operation.SALE_COMPANY: "Venda de mercadoria",
    Operation.RETURN: "Devolução de venda",
    Operation.TRANSFER: "Transferência de mercadoria",
}
# indPres by the order's channel: phone sales are "teleatendimento" (3), the rest came over the internet (2).
PRESENCE = {"phone": "3"}
# tPag by the payment's method (payments.Payment.Method): 17 Pix, 03/04 credit/debit card, 15
# boleto, 18 bank transfer or digital wallet, 99 anything else (with xPag), 90 no payment.
PAYMENT_TYPES = {"pix": "17", "credit_card": "03", "debit_card": "04", "boleto": "15", "transfer": "18",
                 "paypal": "18", "wallet": "18"}
CARDS = frozenset({"03", "04"})
CARD_BRANDS = {"visa": "01", "mastercard": "02", "master": "02", "amex": "03", "american express": "03",
               "diners": "05", "elo": "06", "hipercard": "07", "cabal": "09"}
PAID = ("approved", "partially_refunded")  # the payments that count on their order
SIMPLES_NOTE = ("Documento emitido por ME ou EPP optante pelo Simples Nacional. "
                "Não gera direito a crédito fiscal de IPI.")
PIS_RATED = frozenset({"01", "02"})  # PISAliq / COFINSAliq
# The QR Code of the NF-e (infNFeSupl), which the DANFE of NT 2026.010 prints beside the additional data
# for NF-e issued from 2026-12-01 (São Paulo's date of dhEmi, as the DANFE's layout is chosen). Its text
# is NT 2026.003's — the model 55's QR Code, introduced with the DANFE Simplificado Tipo 2 —, version 3
# online as the schema has it: the consultation's URL, then ?p=<key>|3|<tpAmb>; urlChave is the same URL.
QR_CODE_FROM = date(2026, 12, 1)
QR_CODE_VERSION = "3"
# The public consultation of an NF-e by its key, by the issuer's UF (production); every other UF, and
# homologação everywhere, the national portal's (no table of model 55 addresses per UF is published).
CONSULTATION = {"SP": "https://nfe.fazenda.sp.gov.br/ConsultaNFe/consulta/publica/ConsultarNFe.aspx"}
NATIONAL_CONSULTATION = {Environment.PRODUCTION: "https://www.nfe.fazenda.gov.br/portal/consultaRecaptcha.aspx",
                         Environment.HOMOLOGATION: "https://hom.nfe.fazenda.gov.br/portal/consultaRecaptcha.aspx"}
LATIN1_PRINTABLE = re.compile("[ -~\u00a1-\u00ff]*")  # what the schema's strings hold
NOT_DIGITS = re.compile("[^0-9]")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.4f}"


def _digits(value: str) -> str:
    return NOT_DIGITS.sub("", value or "")


def _text(value: str, limit: int) -> str | None:
    """`value` as the schema's strings take it: Latin-1 printable characters (others folded to
    their ASCII letter or dropped), single spaces, no space at either end, at most `limit`
    characters; None when nothing is left (an optional field then stays out)."""
    value = value or ""
    if not LATIN1_PRINTABLE.fullmatch(value):  # most texts are: nothing to fold (nor to normalize)
        value = _folded(value)
    text = " ".join(value.split())[:limit].strip()
    return text or None


def _folded(value: str) -> str:
    """`value` in Latin-1 printable characters: composed (NFC), other spaces a space, any other
    character its ASCII letter (ç → c, ő → o) or nothing."""
    folded = []
    for char in unicodedata.normalize("NFC", value):
        if LATIN1_PRINTABLE.fullmatch(char):
            folded.append(char)
        elif char.isspace():
            folded.append(" ")
        else:
            folded.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode())
    return "".join(folded)


@functools.lru_cache(maxsize=4096)
def _gtin(gtin: str) -> str:
    """The product's GTIN when its check digit is right (SEFAZ checks it), else SEM GTIN."""
    gtin = _digits(gtin)
    return gtin if len(gtin) in (8, 12, 13, 14) and ean.is_valid(gtin) else NO_GTIN


def _order(invoice: Invoice):
    """The order whose customer the NF-e is for: its own, or the returned invoice's."""
    order = invoice.order or (invoice.refers_to.order if invoice.refers_to_id else None)
    if order is None:
        raise ValueError(f"{invoice} has no order to take its recipient from")
    return order


def build(invoice: Invoice, items: list, profile) -> Nfe:
    """The NFe of `invoice` (numbered, keyed, dated: series, number, key, code, issued_at,
    environment; its totals those of `items`, as taxes.invoice_totals gives them) with `items` (its
    InvoiceItem rows, in order), issued by `profile`; the
    recipient is the customer of its order (or of the invoice it returns), at the order's
    shipping address."""
    order = _order(invoice)
    customer = order.customer
    charged = ibscbs_charged(invoice.issued_at)
    with_ibscbs = any(item.ibscbs_cst for item in items)
    return Nfe(infNFe=InfNfe(
        versao=LAYOUT, Id=f"NFe{invoice.key}",
        ide=_ide(invoice, profile, order, consumer=ie_indicator(customer) != "1"),
        emit=_emit(profile),
        dest=_dest(invoice, order, customer),
        det=[_det(invoice, item, charged=charged, with_ibscbs=with_ibscbs) for item in items],
        total=_total(invoice, items, charged=charged, with_ibscbs=with_ibscbs),
        transp=_transp(invoice, items),
        pag=_pag(invoice, order, invoice.total),
        infAdic=_additional(invoice, profile, order, items),
    ), infNFeSupl=_supplement(invoice, profile))


def consultation_url(uf: str, environment: int) -> str:
    """Where the NF-e of an issuer in `uf` is looked up by its key, in `environment`."""
    if environment == Environment.PRODUCTION and uf in CONSULTATION:
        return CONSULTATION[uf]
    return NATIONAL_CONSULTATION[Environment(environment)]


def _supplement(invoice: Invoice, profile) -> Tnfe.InfNfeSupl | None:
    """infNFeSupl: the QR Code the DANFE prints, for an NF-e issued from QR_CODE_FROM."""
    if invoice.issued_at.astimezone(SAO_PAULO).date() < QR_CODE_FROM:
        return None
    url = consultation_url(profile.uf, invoice.environment)
    return Tnfe.InfNfeSupl(qrCode=f"{url}?p={invoice.key}|{QR_CODE_VERSION}|{invoice.environment}", urlChave=url)


def _ide(invoice: Invoice, profile, order, *, consumer: bool) -> InfNfe.Ide:
    interstate = order.ship_uf != profile.uf
    return InfNfe.Ide(
        cUF=UF_CODES[profile.uf], cNF=invoice.code, natOp=NATURE[invoice.operation], mod="55",
        serie=str(invoice.series), nNF=str(invoice.number),
        dhEmi=nfe_time(invoice.issued_at),
        tpNF=str(invoice.direction), idDest="2" if interstate else "1", cMunFG=profile.city.code, tpImp="1",
        tpEmis="1", cDV=invoice.key[-1], tpAmb=str(invoice.environment), finNFe=str(invoice.purpose),
        indFinal="1" if consumer else "0", indPres=PRESENCE.get(order.channel, "2"), indIntermed="0",
        procEmi="0", verProc=APPLICATION,
        NFref=[InfNfe.Ide.Nfref(refNFe=invoice.refers_to.key)] if invoice.refers_to_id else [],
    )


def _emit(profile) -> InfNfe.Emit:
    city = profile.city
    return InfNfe.Emit(
        CNPJ=profile.cnpj.upper(), xNome=_text(profile.legal_name, 60), xFant=_text(profile.trade_name, 60),
        enderEmit=TenderEmi(
            xLgr=_text(profile.street, 60), nro=_text(profile.number, 60), xCpl=_text(profile.complement, 60),
            xBairro=_text(profile.district, 60), cMun=city.code, xMun=_text(city.name, 60), UF=city.uf,
            CEP=_digits(profile.cep), cPais=BRAZIL, xPais="Brasil", fone=_phone(profile.phone),
        ),
        IE=_digits(profile.state_registration) or "ISENTO",
        IM=_text(profile.municipal_registration, 15),
        CNAE=(_digits(profile.cnae) or None) if profile.municipal_registration else None,  # only beside the IM
        CRT=str(profile.regime),
    )


def _phone(phone: str) -> str | None:
    digits = _digits(phone)
    return digits if 6 <= len(digits) <= 14 else None


def _dest(invoice: Invoice, order, customer) -> InfNfe.Dest:
    document = (invoice.recipient_document or customer.document).upper()
    indicator = ie_indicator(customer)
    name = HOMOLOGATION_NAME if invoice.environment == Environment.HOMOLOGATION else _text(
        invoice.recipient_name or customer.name, 60)
    return InfNfe.Dest(
        CPF=document if len(document) == 11 else None, CNPJ=document if len(document) == 14 else None,
        xNome=name,
        enderDest=Tendereco(
            xLgr=_text(order.ship_street, 60), nro=_text(order.ship_number, 60), xCpl=_text(order.ship_complement, 60),
            xBairro=_text(order.ship_district, 60), cMun=order.ship_city_code, xMun=_text(order.ship_city_name, 60),
            UF=order.ship_uf, CEP=_digits(order.ship_cep), cPais=BRAZIL, xPais="Brasil", fone=_phone(customer.phone),
        ),
        indIEDest=indicator, IE=_digits(customer.state_registration) if indicator == "1" else None,
        email=_text(invoice.recipient_email or customer.email, 60),
    )


def _det(invoice: Invoice, item, *, charged: bool, with_ibscbs: bool) -> Det:
    gtin = _gtin(item.gtin)
    quantity = f"{item.quantity:.4f}"
    unit_price = f"{item.unit_price:.10f}"
    reference = None
    if item.returns_item_id and invoice.refers_to_id:
        reference = Det.DfeReferenciado(chaveAcesso=invoice.refers_to.key, nItem=str(item.returns_item.position))
    return Det(
        nItem=str(item.position),
        prod=Det.Prod(
            cProd=_text(item.sku, 60), cEAN=gtin, xProd=_text(item.name, 120), NCM=item.ncm, CEST=item.cest or None,
            CFOP=item.cfop, uCom=item.unit, qCom=quantity, vUnCom=unit_price, vProd=_money(item.gross),
            cEANTrib=gtin, uTrib=item.unit, qTrib=quantity, vUnTrib=unit_price,
            vFrete=_money(item.freight) if item.freight else None,
            vDesc=_money(item.discount) if item.discount else None, indTot="1",
        ),
        imposto=Imposto(
            ICMS=_icms(item), IPI=_ipi(item), PIS=_pis(item), COFINS=_cofins(item), ICMSUFDest=_difal(item),
            IBSCBS=_ibscbs(item),
        ),
        vItem=_money(_item_total(item, charged)) if with_ibscbs else None,
        DFeReferenciado=reference,
    )


def _item_total(item, charged: bool) -> Decimal:
    """vItem: the item's share of the NF-e's total; with IBS and CBS once they are charged (2027)."""
    return item.total + (item.ibs_amount + item.cbs_amount if charged else ZERO)


def _icms(item) -> Icms:
    """The item's ICMS group, by its CST (Regime Normal) or CSOSN (Simples Nacional)."""
    code, orig = item.icms_code, str(item.origin)
    if code in ("102", "103", "300", "400"):
        return Icms(ICMSSN102=Icms.Icmssn102(orig=orig, CSOSN=code))
    if code in ("40", "41", "50"):
        return Icms(ICMS40=Icms.Icms40(orig=orig, CST=code))
    if code == "60":
        return Icms(ICMS60=Icms.Icms60(orig=orig, CST=code))
    if code == "500":
        return Icms(ICMSSN500=Icms.Icmssn500(orig=orig, CSOSN=code))
    if code == "00":
        return Icms(ICMS00=Icms.Icms00(orig=orig, CST=code, modBC="3", **_own(item), **_fcp(item, with_base=False)))
    if code == "10":
        return Icms(ICMS10=Icms.Icms10(orig=orig, CST=code, modBC="3", **_own(item), **_fcp(item), **_st(item)))
    if code == "20":
        return Icms(ICMS20=Icms.Icms20(orig=orig, CST=code, modBC="3", **_reduction(item), **_own(item),
                                       **_fcp(item)))
    if code == "70":
        return Icms(ICMS70=Icms.Icms70(orig=orig, CST=code, modBC="3", **_reduction(item), **_own(item),
                                       **_fcp(item), **_st(item)))
    if code == "90":
        values = {"modBC": "3", **_reduction(item), **_own(item), **_fcp(item)} if item.icms_base else {}
        return Icms(ICMS90=Icms.Icms90(orig=orig, CST=code, **values, **(_st(item) if item.st_base else {})))
    if code == "101":
        return Icms(ICMSSN101=Icms.Icmssn101(orig=orig, CSOSN=code, **_credit(item)))
    if code == "201":
        return Icms(ICMSSN201=Icms.Icmssn201(orig=orig, CSOSN=code, **_st(item), **_credit(item)))
    if code in ("202", "203"):
        return Icms(ICMSSN202=Icms.Icmssn202(orig=orig, CSOSN=code, **_st(item)))
    if code == "900":
        values = {"modBC": "3", **_reduction(item), **_own(item)} if item.icms_base else {}
        return Icms(ICMSSN900=Icms.Icmssn900(orig=orig, CSOSN=code, **values, **(_st(item) if item.st_base else {}),
                                             **(_credit(item) if item.sn_credit_amount else {})))
    raise ValueError(f"ICMS code {code!r} of {item} is not one the builder writes")


def _own(item) -> dict:
    """The ICMS of the item's own operation (its base determined by the operation's value: modBC 3)."""
    return {"vBC": _money(item.icms_base), "pICMS": _rate(item.icms_rate), "vICMS": _money(item.icms_amount)}


def _reduction(item) -> dict:
    return {"pRedBC": _rate(item.icms_base_reduction)}


def _fcp(item, *, with_base: bool = True) -> dict:
    """The FCP of the origin UF, when the item has it (the destination's goes in ICMSUFDest)."""
    if not item.fcp_amount or item.difal_rate:
        return {}
    fcp = {"pFCP": _rate(item.fcp_rate), "vFCP": _money(item.fcp_amount)}
    return {"vBCFCP": _money(item.icms_base), **fcp} if with_base else fcp


def _st(item) -> dict:
    """ICMS-ST (its base by the MVA: modBCST 4)."""
    return {"modBCST": "4", "pMVAST": _rate(item.st_mva), "vBCST": _money(item.st_base),
            "pICMSST": _rate(item.st_rate), "vICMSST": _money(item.st_amount)}


def _credit(item) -> dict:
    """The ICMS credit a Simples Nacional sale gives (LC 123/2006 art. 23)."""
    return {"pCredSN": _rate(item.sn_credit_rate), "vCredICMSSN": _money(item.sn_credit_amount)}


def _difal(item) -> Imposto.Icmsufdest | None:
    """ICMSUFDest (EC 87/2015) for an item taxed with DIFAL: the destination's share is all of it
    since 2019 (pICMSInterPart 100, vICMSUFRemet 0)."""
    if not item.difal_rate:
        return None
    fcp = {"vBCFCPUFDest": _money(item.icms_base), "pFCPUFDest": _rate(item.fcp_rate),
           "vFCPUFDest": _money(item.fcp_amount)} if item.fcp_rate else {}
    return Imposto.Icmsufdest(
        vBCUFDest=_money(item.icms_base), pICMSUFDest=_rate(item.difal_rate), pICMSInter=f"{item.icms_rate:.2f}",
        pICMSInterPart=_rate(Decimal(100)), vICMSUFDest=_money(item.difal_amount), vICMSUFRemet=_money(ZERO),
        **fcp,
    )


def _ipi(item) -> Tipi | None:
    if not item.ipi_cst:
        return None
    if item.ipi_cst in IPI_WITH_VALUES:
        return Tipi(cEnq=item.ipi_framework or "999", IPITrib=Tipi.Ipitrib(
            CST=item.ipi_cst, vBC=_money(item.ipi_base), pIPI=_rate(item.ipi_rate), vIPI=_money(item.ipi_amount)))
    return Tipi(cEnq=item.ipi_framework or "999", IPINT=Tipi.Ipint(CST=item.ipi_cst))


def _pis(item) -> Imposto.Pis:
    """The item's PIS group, by its CST: with its rate (01, 02), not taxed (04-09), other (49-99)."""
    cst, Pis = item.pis_cst, Imposto.Pis
    if cst in PIS_COFINS_NOT_TAXED:
        return Pis(PISNT=Pis.Pisnt(CST=cst))
    figures = {"CST": cst, "vBC": _money(item.pis_base), "pPIS": _rate(item.pis_rate), "vPIS": _money(item.pis_amount)}
    return Pis(PISAliq=Pis.Pisaliq(**figures)) if cst in PIS_RATED else Pis(PISOutr=Pis.Pisoutr(**figures))


def _cofins(item) -> Imposto.Cofins:
    """The item's COFINS group, by its CST, as PIS's."""
    cst, Cofins = item.cofins_cst, Imposto.Cofins
    if cst in PIS_COFINS_NOT_TAXED:
        return Cofins(COFINSNT=Cofins.Cofinsnt(CST=cst))
    figures = {"CST": cst, "vBC": _money(item.cofins_base), "pCOFINS": _rate(item.cofins_rate),
               "vCOFINS": _money(item.cofins_amount)}
    return (Cofins(COFINSAliq=Cofins.Cofinsaliq(**figures)) if cst in PIS_RATED
            else Cofins(COFINSOutr=Cofins.Cofinsoutr(**figures)))


def _ibscbs(item) -> TtribNfe | None:
    """The IBSCBS group: CST and cClassTrib, and for the CSTs that carry values the single base
    with the IBS of the state and of the municipality and the CBS."""
    if not item.ibscbs_cst:
        return None
    if item.ibscbs_cst in IBSCBS_WITHOUT_VALUES:
        return TtribNfe(CST=item.ibscbs_cst, cClassTrib=item.ibscbs_class)
    return TtribNfe(CST=item.ibscbs_cst, cClassTrib=item.ibscbs_class, gIBSCBS=TcibsNfe(
        vBC=_money(item.ibscbs_base),
        gIBSUF=TcibsNfe.GIbsuf(pIBSUF=_rate(item.ibs_state_rate), vIBSUF=_money(item.ibs_state_amount)),
        gIBSMun=TcibsNfe.GIbsmun(pIBSMun=_rate(item.ibs_city_rate), vIBSMun=_money(item.ibs_city_amount)),
        vIBS=_money(item.ibs_amount),
        gCBS=TcibsNfe.GCbs(pCBS=_rate(item.cbs_rate), vCBS=_money(item.cbs_amount)),
    ))


def _sum(items, figure: str) -> Decimal:
    return sum((getattr(item, figure) for item in items), ZERO)


def _total(invoice: Invoice, items, *, charged: bool, with_ibscbs: bool) -> InfNfe.Total:
    """ICMSTot (each field the sum of the items' figures, as the invoice's totals are; vNF products
    less discounts plus freight, ICMS-ST and IPI) and, when the items carry IBS/CBS, IBSCBSTot and
    vNFTot (the sum of vItem)."""
    zero = _money(ZERO)
    with_difal = [item for item in items if item.difal_rate]
    difal_fcp = _sum(with_difal, "fcp_amount")  # the destination's FCP (vFCPUFDest); vFCP is the origin's
    difal = {"vFCPUFDest": _money(difal_fcp), "vICMSUFDest": _money(invoice.difal_total),
             "vICMSUFRemet": zero} if with_difal else {}
    icms_total = InfNfe.Total.Icmstot(
        vBC=_money(invoice.icms_base), vICMS=_money(invoice.icms_total), vICMSDeson=zero, **difal,
        vFCP=_money(invoice.fcp_total - difal_fcp),
        vBCST=_money(invoice.st_base), vST=_money(invoice.st_total), vFCPST=zero, vFCPSTRet=zero,
        vProd=_money(invoice.products_total), vFrete=_money(invoice.freight_total), vSeg=zero,
        vDesc=_money(invoice.discount_total), vII=zero, vIPI=_money(invoice.ipi_total), vIPIDevol=zero,
        vPIS=_money(invoice.pis_total), vCOFINS=_money(invoice.cofins_total), vOutro=zero,
        vNF=_money(invoice.total),
    )
    if not with_ibscbs:
        return InfNfe.Total(ICMSTot=icms_total)
    state, city = _sum(items, "ibs_state_amount"), _sum(items, "ibs_city_amount")
    ibscbs_total = TibscbsmonoTot(
        vBCIBSCBS=_money(_sum(items, "ibscbs_base")),
        gIBS=TibscbsmonoTot.GIbs(
            gIBSUF=TibscbsmonoTot.GIbs.GIbsuf(vDif=zero, vDevTrib=zero, vIBSUF=_money(state)),
            gIBSMun=TibscbsmonoTot.GIbs.GIbsmun(vDif=zero, vDevTrib=zero, vIBSMun=_money(city)),
            vIBS=_money(invoice.ibs_total), vCredPres=zero, vCredPresCondSus=zero,
        ),
        gCBS=TibscbsmonoTot.GCbs(vDif=zero, vDevTrib=zero, vCBS=_money(invoice.cbs_total), vCredPres=zero,
                                 vCredPresCondSus=zero),
    )
    return InfNfe.Total(ICMSTot=icms_total, IBSCBSTot=ibscbs_total,
                        vNFTot=_money(sum((_item_total(item, charged) for item in items), ZERO)))


def _transp(invoice: Invoice, items) -> InfNfe.Transp:
    """modFrete 0 for a sale (the store hires the carrier, charging the freight or not); 9 for an
    entry (the goods' way back travels on its own documents). The volume's weights from the products."""
    net = sum((item.quantity * item.product.net_weight_kg for item in items if item.product_id), ZERO)
    gross = sum((item.quantity * item.product.gross_weight_kg for item in items if item.product_id), ZERO)
    volumes = [InfNfe.Transp.Vol(pesoL=f"{net:.3f}", pesoB=f"{gross:.3f}")] if net or gross else []
    outgoing = invoice.direction == Invoice.Direction.OUTGOING
    return InfNfe.Transp(modFrete="0" if outgoing else "9", vol=volumes)


def _pag(invoice: Invoice, order, total: Decimal) -> InfNfe.Pag:
    """detPag: none for a return (tPag 90); the order's payments (payments.Payment, through the
    order) when they add up to the NF-e's total, else one payment of the total by the method of
    the largest (99 "other" without any)."""
    DetPag = InfNfe.Pag.DetPag
    if invoice.purpose != Invoice.Purpose.NORMAL:
        return InfNfe.Pag(detPag=[DetPag(tPag="90", vPag=_money(ZERO))])
    # .all(): the payments prefetched with the order (a batch's way) are not read again.
    payments = sorted((payment for payment in order.payments.all() if payment.credited_to_order
                       and payment.status in PAID), key=lambda payment: payment.pk)
    if payments and sum((payment.gross for payment in payments), ZERO) == total:
        return InfNfe.Pag(detPag=[_payment(payment, payment.gross) for payment in payments])
    if payments:
        return InfNfe.Pag(detPag=[_payment(max(payments, key=lambda payment: payment.gross), total)])
    return InfNfe.Pag(detPag=[DetPag(indPag="0", tPag="99", xPag="Pagamento registrado no pedido",
                                     vPag=_money(total))])


def _payment(payment, amount: Decimal) -> InfNfe.Pag.DetPag:
    DetPag = InfNfe.Pag.DetPag
    kind = PAYMENT_TYPES.get(payment.method, "99")
    card = None
    if kind in CARDS:
        card = DetPag.Card(tpIntegra="2", tBand=CARD_BRANDS.get((payment.brand or "").strip().lower(), "99"))
    return DetPag(
        indPag="1" if payment.installments > 1 else "0", tPag=kind,
        xPag=_text(payment.get_method_display(), 60) if kind == "99" else None, vPag=_money(amount),
        dPag=payment.paid_at.astimezone(SAO_PAULO).date().isoformat() if payment.paid_at else None, card=card,
    )


def _additional(invoice: Invoice, profile, order, items) -> InfNfe.InfAdic | None:
    """infCpl: the order's number; the Simples Nacional's statement (and the ICMS credit it
    allows, LC 123/2006 art. 23); the DIFAL and FCP for the destination UF; the NF-e a return
    refers to."""
    notes = [f"Pedido {order.number}."]
    simples = profile.regime in (Regime.SIMPLES, Regime.MEI)
    if simples:
        notes.append(SIMPLES_NOTE)
    credit = _sum(items, "sn_credit_amount") if simples else ZERO
    with_difal = [item for item in items if item.difal_rate]
    if credit or with_difal:
        with translation.override("pt-br"):  # the amounts as the NF-e's reader writes them
            if credit:
                rate = max(item.sn_credit_rate for item in items)
                notes.append(f"Permite o aproveitamento do crédito de ICMS no valor de {format_money(credit)}, "
                             f"correspondente à alíquota de {format_number(rate, 2)}%, nos termos do art. 23 da "
                             f"LC 123/2006.")
            if with_difal:
                fcp = _sum(with_difal, "fcp_amount")
                notes.append(f"DIFAL (EC 87/2015) para a UF de destino {order.ship_uf}: "
                             f"{format_money(_sum(items, 'difal_amount'))}"
                             + (f", FCP {format_money(fcp)}." if fcp else "."))
    if invoice.refers_to_id:
        original = invoice.refers_to
        notes.append(f"Devolução referente à NF-e {original.number}/{original.series}, chave {original.key}.")
    return InfNfe.InfAdic(infCpl=_text(" ".join(notes), 5000))
