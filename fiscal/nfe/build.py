"""The NF-e (layout 4.00, schema package PL_010) of an invoice, as nfelib's bindings — never
hand-written XML: identification, issuer, recipient, items with their taxes by code, totals
(ICMSTot, and IBSCBSTot with vNFTot when IBS/CBS are due), transport, payments and the
additional information the Simples Nacional, DIFAL and returns ask for. Unsigned: signing adds
the Signature."""

import re
import unicodedata
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
    invoice_totals,
)
from .keys import SAO_PAULO

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


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.4f}"


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value or "")


def _text(value: str, limit: int) -> str | None:
    """`value` as the schema's strings take it: Latin-1 printable characters (others folded to
    their ASCII letter or dropped), single spaces, no space at either end, at most `limit`
    characters; None when nothing is left (an optional field then stays out)."""
    folded = []
    for char in unicodedata.normalize("NFC", value or ""):
        if " " <= char <= "~" or "\u00a1" <= char <= "\u00ff":
            folded.append(char)
        elif char.isspace():
            folded.append(" ")
        else:
            folded.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode())
    text = " ".join("".join(folded).split())[:limit].strip()
    return text or None


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
    environment) with `items` (its InvoiceItem rows, in order), issued by `profile`; the
    recipient is the customer of its order (or of the invoice it returns), at the order's
    shipping address."""
    order = _order(invoice)
    customer = order.customer
    totals = invoice_totals(items)
    charged = ibscbs_charged(invoice.issued_at)
    with_ibscbs = any(item.ibscbs_cst for item in items)
    return Nfe(infNFe=InfNfe(
        versao=LAYOUT, Id=f"NFe{invoice.key}",
        ide=_ide(invoice, profile, order, consumer=ie_indicator(customer) != "1"),
        emit=_emit(profile),
        dest=_dest(invoice, order, customer),
        det=[_det(invoice, item, charged=charged, with_ibscbs=with_ibscbs) for item in items],
        total=_total(items, totals, charged=charged, with_ibscbs=with_ibscbs),
        transp=_transp(invoice, items),
        pag=_pag(invoice, order, totals["total"]),
        infAdic=_additional(invoice, profile, order, items),
    ))


def _ide(invoice: Invoice, profile, order, *, consumer: bool) -> InfNfe.Ide:
    interstate = order.ship_uf != profile.uf
    return InfNfe.Ide(
        cUF=UF_CODES[profile.uf], cNF=invoice.code, natOp=NATURE[invoice.operation], mod="55",
        serie=str(invoice.series), nNF=str(invoice.number),
        dhEmi=invoice.issued_at.astimezone(SAO_PAULO).isoformat(timespec="seconds"),
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
    own = {"modBC": "3", "vBC": _money(item.icms_base), "pICMS": _rate(item.icms_rate),
           "vICMS": _money(item.icms_amount)}
    fcp = {"vBCFCP": _money(item.icms_base), "pFCP": _rate(item.fcp_rate), "vFCP": _money(item.fcp_amount)} if (
        item.fcp_amount and not item.difal_rate) else {}
    st = {"modBCST": "4", "pMVAST": _rate(item.st_mva), "vBCST": _money(item.st_base),
          "pICMSST": _rate(item.st_rate), "vICMSST": _money(item.st_amount)}
    credit = {"pCredSN": _rate(item.sn_credit_rate), "vCredICMSSN": _money(item.sn_credit_amount)}
    reduction = {"pRedBC": _rate(item.icms_base_reduction)}
    if code == "00":
        fcp.pop("vBCFCP", None)
        return Icms(ICMS00=Icms.Icms00(orig=orig, CST=code, **own, **fcp))
    if code == "10":
        return Icms(ICMS10=Icms.Icms10(orig=orig, CST=code, **own, **fcp, **st))
    if code == "20":
        return Icms(ICMS20=Icms.Icms20(orig=orig, CST=code, modBC="3", **reduction, **_without(own, "modBC"), **fcp))
    if code == "70":
        return Icms(ICMS70=Icms.Icms70(orig=orig, CST=code, modBC="3", **reduction, **_without(own, "modBC"),
                                       **fcp, **st))
    if code in ("40", "41", "50"):
        return Icms(ICMS40=Icms.Icms40(orig=orig, CST=code))
    if code == "60":
        return Icms(ICMS60=Icms.Icms60(orig=orig, CST=code))
    if code == "90":
        values = ({"modBC": "3", "vBC": own["vBC"], "pRedBC": reduction["pRedBC"], "pICMS": own["pICMS"],
                   "vICMS": own["vICMS"], **fcp} if item.icms_base else {})
        return Icms(ICMS90=Icms.Icms90(orig=orig, CST=code, **values, **(st if item.st_base else {})))
    if code == "101":
        return Icms(ICMSSN101=Icms.Icmssn101(orig=orig, CSOSN=code, **credit))
    if code in ("102", "103", "300", "400"):
        return Icms(ICMSSN102=Icms.Icmssn102(orig=orig, CSOSN=code))
    if code == "201":
        return Icms(ICMSSN201=Icms.Icmssn201(orig=orig, CSOSN=code, **st, **credit))
    if code in ("202", "203"):
        return Icms(ICMSSN202=Icms.Icmssn202(orig=orig, CSOSN=code, **st))
    if code == "500":
        return Icms(ICMSSN500=Icms.Icmssn500(orig=orig, CSOSN=code))
    if code == "900":
        values = {"modBC": "3", "vBC": own["vBC"], "pRedBC": reduction["pRedBC"], "pICMS": own["pICMS"],
                  "vICMS": own["vICMS"]} if item.icms_base else {}
        return Icms(ICMSSN900=Icms.Icmssn900(orig=orig, CSOSN=code, **values, **(st if item.st_base else {}),
                                             **(credit if item.sn_credit_amount else {})))
    raise ValueError(f"ICMS code {code!r} of {item} is not one the builder writes")


def _without(values: dict, *names) -> dict:
    return {name: value for name, value in values.items() if name not in names}


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


def _contribution(item, tax: str, group):
    """The PIS or COFINS group (`group`: Imposto.Pis or Imposto.Cofins) of the item, by its CST."""
    cst = getattr(item, f"{tax}_cst")
    name = tax.upper()
    figures = {"vBC": _money(getattr(item, f"{tax}_base")), f"p{name}": _rate(getattr(item, f"{tax}_rate")),
               f"v{name}": _money(getattr(item, f"{tax}_amount"))}
    if cst in PIS_RATED:
        return group(**{f"{name}Aliq": getattr(group, f"{name.capitalize()}aliq")(CST=cst, **figures)})
    if cst in PIS_COFINS_NOT_TAXED:
        return group(**{f"{name}NT": getattr(group, f"{name.capitalize()}nt")(CST=cst)})
    return group(**{f"{name}Outr": getattr(group, f"{name.capitalize()}outr")(CST=cst, **figures)})


def _pis(item) -> Imposto.Pis:
    return _contribution(item, "pis", Imposto.Pis)


def _cofins(item) -> Imposto.Cofins:
    return _contribution(item, "cofins", Imposto.Cofins)


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


def _sum(items, figure: str, *, where=lambda item: True) -> Decimal:
    return sum((getattr(item, figure) for item in items if where(item)), ZERO)


def _total(items, totals: dict, *, charged: bool, with_ibscbs: bool) -> InfNfe.Total:
    """ICMSTot (each field the sum of the items' figures; vNF products less discounts plus freight,
    ICMS-ST and IPI) and, when the items carry IBS/CBS, IBSCBSTot and vNFTot (the sum of vItem)."""
    zero = _money(ZERO)
    with_difal = [item for item in items if item.difal_rate]
    difal = {"vFCPUFDest": _money(_sum(with_difal, "fcp_amount")), "vICMSUFDest": _money(totals["difal_total"]),
             "vICMSUFRemet": zero} if with_difal else {}
    icms_total = InfNfe.Total.Icmstot(
        vBC=_money(totals["icms_base"]), vICMS=_money(totals["icms_total"]), vICMSDeson=zero, **difal,
        vFCP=_money(_sum(items, "fcp_amount", where=lambda item: not item.difal_rate)),
        vBCST=_money(totals["st_base"]), vST=_money(totals["st_total"]), vFCPST=zero, vFCPSTRet=zero,
        vProd=_money(totals["products_total"]), vFrete=_money(totals["freight_total"]), vSeg=zero,
        vDesc=_money(totals["discount_total"]), vII=zero, vIPI=_money(totals["ipi_total"]), vIPIDevol=zero,
        vPIS=_money(totals["pis_total"]), vCOFINS=_money(totals["cofins_total"]), vOutro=zero,
        vNF=_money(totals["total"]),
    )
    if not with_ibscbs:
        return InfNfe.Total(ICMSTot=icms_total)
    state, city = _sum(items, "ibs_state_amount"), _sum(items, "ibs_city_amount")
    ibscbs_total = TibscbsmonoTot(
        vBCIBSCBS=_money(_sum(items, "ibscbs_base")),
        gIBS=TibscbsmonoTot.GIbs(
            gIBSUF=TibscbsmonoTot.GIbs.GIbsuf(vDif=zero, vDevTrib=zero, vIBSUF=_money(state)),
            gIBSMun=TibscbsmonoTot.GIbs.GIbsmun(vDif=zero, vDevTrib=zero, vIBSMun=_money(city)),
            vIBS=_money(totals["ibs_total"]), vCredPres=zero, vCredPresCondSus=zero,
        ),
        gCBS=TibscbsmonoTot.GCbs(vDif=zero, vDevTrib=zero, vCBS=_money(totals["cbs_total"]), vCredPres=zero,
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
    with translation.override("pt-br"):
        if profile.regime in (Regime.SIMPLES, Regime.MEI):
            notes.append(SIMPLES_NOTE)
            credit = _sum(items, "sn_credit_amount")
            if credit:
                rate = max(item.sn_credit_rate for item in items)
                notes.append(f"Permite o aproveitamento do crédito de ICMS no valor de {format_money(credit)}, "
                             f"correspondente à alíquota de {format_number(rate, 2)}%, nos termos do art. 23 da "
                             f"LC 123/2006.")
        if any(item.difal_rate for item in items):
            fcp = _sum(items, "fcp_amount", where=lambda item: item.difal_rate)
            notes.append(f"DIFAL (EC 87/2015) para a UF de destino {order.ship_uf}: "
                         f"{format_money(_sum(items, 'difal_amount'))}"
                         + (f", FCP {format_money(fcp)}." if fcp else "."))
    if invoice.refers_to_id:
        original = invoice.refers_to
        notes.append(f"Devolução referente à NF-e {original.number}/{original.series}, chave {original.key}.")
    return InfNfe.InfAdic(infCpl=_text(" ".join(notes), 5000))
