"""The tax engine: which rule taxes an item, and every figure of each item of an NF-e — ICMS (its
own, ST, DIFAL and FCP), IPI, PIS, COFINS, IBS and CBS — in Decimal, each rounded half up to the
cent per item, as the NF-e's validation rules (which sum the items) expect; the invoice's totals
are the sums of its items' figures, so they agree to the cent."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from django.db.models import DecimalField, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.money import CENT, ZERO, cents

from .models import (
    Invoice,
    InvoiceItem,
    Operation,
    Regime,
    RegimeGroup,
    Scope,
    StateTaxRate,
    TaxRule,
)
from .nfe.keys import SAO_PAULO

HUNDRED = Decimal(100)

# Interstate ICMS (Res. SF 22/1989): 7 % from the South and Southeast — Espírito Santo excepted —
# to the North, Northeast, Center-West and Espírito Santo; 12 % otherwise; 4 % for imported goods
# and goods of over 40 % imported content (Res. SF 13/2012: origins 1, 2, 3 and 8).
SOUTH_SOUTHEAST = frozenset({"SP", "RJ", "MG", "PR", "SC", "RS"})
IMPORTED_ORIGINS = frozenset({1, 2, 3, 8})

# The ICMS codes the engine computes and the builder writes. Regime Normal (CST): with ICMS of
# its own always, reduced base, ICMS-ST; "90" (other) computes what its rule gives. Simples
# Nacional (CSOSN): 101/201 give the buyer a credit, 201-203 carry ST, "900" what its rule gives.
OWN_ICMS = frozenset({"00", "10", "20", "70"})
REDUCED_BASE = frozenset({"20", "70", "90", "900"})
WITH_ST = frozenset({"10", "70", "201", "202", "203"})
SN_CREDIT = frozenset({"101", "201"})
ST_BEFORE = frozenset({"60", "500"})  # ICMS-ST charged earlier in the chain
OPEN_CODES = frozenset({"90", "900"})  # own ICMS, ST and credit each when the rule has its rate
ICMS_CODES = {
    RegimeGroup.NORMAL: frozenset({"00", "10", "20", "40", "41", "50", "60", "70", "90"}),
    RegimeGroup.SIMPLES: frozenset({"101", "102", "103", "201", "202", "203", "300", "400", "500", "900"}),
}
IPI_TAXED = frozenset({"00", "50"})  # entry with credit, taxed exit: IPI at the rule's rate
IPI_WITH_VALUES = frozenset({"00", "49", "50", "99"})  # IPITrib; the other CSTs (IPINT) carry none
PIS_COFINS_NOT_TAXED = frozenset({"04", "05", "06", "07", "08", "09"})  # PISNT / COFINSNT: no figures
# IBS/CBS CSTs whose item carries no gIBSCBS group (exempt; immune or not levied): codes only.
IBSCBS_WITHOUT_VALUES = frozenset({"400", "410"})
SALES = frozenset({Operation.SALE_CONSUMER, Operation.SALE_COMPANY})
EXEMPT = "ISENTO"  # a company's IE when it has none

# The tax reform's test year: Regime Normal issuers (CRT 3) carry IBS/CBS on every NF-e from 2026
# (LC 214/2025 art. 348; NT 2025.002-RTC, required in production from 2026-01-05); Simples
# Nacional, its sublimit excess and MEI (CRT 1, 2, 4) from 2027, when the NT's rules for them
# start. In 2026 IBS and CBS are shown but not charged: they stay out of the NF-e's total (vNF,
# and vNFTot equals it); from 2027 vNFTot adds them.
IBSCBS_FROM = {Regime.NORMAL: date(2026, 1, 1)}
IBSCBS_FROM_OTHERS = date(2027, 1, 1)
IBSCBS_CHARGED_FROM = date(2027, 1, 1)

# The Invoice's total fields and the item figure each sums.
TOTALS = {
    "products_total": "gross", "discount_total": "discount", "freight_total": "freight",
    "icms_base": "icms_base", "icms_total": "icms_amount", "st_base": "st_base", "st_total": "st_amount",
    "difal_total": "difal_amount", "fcp_total": "fcp_amount", "ipi_total": "ipi_amount",
    "pis_total": "pis_amount", "cofins_total": "cofins_amount", "ibs_total": "ibs_amount",
    "cbs_total": "cbs_amount", "total": "total",
}
# A returned item's money figures, each a share of the original's.
RETURNED_FIGURES = (
    "discount", "freight", "icms_base", "icms_amount", "sn_credit_amount", "st_base", "st_amount", "fcp_amount",
    "difal_amount", "ipi_base", "ipi_amount", "pis_base", "pis_amount", "cofins_base", "cofins_amount",
    "ibscbs_base", "ibs_state_amount", "ibs_city_amount", "cbs_amount",
)
# Every figure of an item (money, rates, quantities), Decimal from the start.
FIGURES = tuple(field.name for field in InvoiceItem._meta.fields if isinstance(field, DecimalField))
# An item's fields in their order, each with what a new item holds (its figures Decimal zero): items
# are made as InvoiceItem(*values) — Django's quick way in (Model.from_db's), a quarter of what 58
# keyword arguments cost, which counts in a batch — and their relations set on them by name.
_ITEM_FIELDS = InvoiceItem._meta.concrete_fields
_ITEM_POSITION = {field.attname: position for position, field in enumerate(_ITEM_FIELDS)}
_ITEM_BLANK = tuple(ZERO if field.name in FIGURES else field.get_default() for field in _ITEM_FIELDS)
_ITEM_RELATIONS = frozenset(field.name for field in _ITEM_FIELDS if field.is_relation)
# Returns whose invoice never took effect give nothing back.
DEAD = (Invoice.Status.CANCELLED, Invoice.Status.VOIDED, Invoice.Status.DENIED)


class NoTaxRule(Exception):
    """No active tax rule for an item, or a rule, table or product lacking what the NF-e needs;
    the message, in the active language, says what to add."""


@dataclass(frozen=True)
class Line:
    """One item to invoice: `quantity` of `product` at `unit_price`, less its own `discount`
    (the order item's). A return's line names the invoice item it gives back (`returns_item`):
    its price, codes and taxes come from there."""

    product: object  # inventory.Product
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    name: str = ""
    order_item: object = None  # orders.OrderItem
    returns_item: InvoiceItem | None = None


def order_lines(order) -> list[Line]:
    """The lines of `order`'s items, as sold (their names and discounts): from the items and
    products prefetched with the order (`prefetch_related("items__product")`, a batch's way), or
    read in one query."""
    if "items" in getattr(order, "_prefetched_objects_cache", {}):
        items = sorted(order.items.all(), key=lambda item: item.pk)
    else:
        items = order.items.select_related("product").order_by("pk")
    return [Line(product=item.product, quantity=Decimal(item.quantity), unit_price=item.unit_price,
                 discount=item.discount, name=item.name, order_item=item) for item in items]


def ie_indicator(customer) -> str:
    """indIEDest of `customer`: 1 an ICMS contributor (a company with its IE), 2 a company exempt
    from the IE ("ISENTO"), 9 anyone else (a person, a company without IE)."""
    registration = (customer.state_registration or "").strip().upper()
    if customer.kind != "company" or not registration:
        return "9"
    return "2" if registration == EXEMPT else "1"


def is_contributor(customer) -> bool:
    """Whether `customer` buys as an ICMS contributor; everyone else buys as a final consumer."""
    return ie_indicator(customer) == "1"


def regime_group(profile) -> str:
    """Which rules tax the issuer's items: CSOSN ones in the Simples Nacional and MEI, CST ones otherwise."""
    return RegimeGroup.SIMPLES if profile.uses_csosn else RegimeGroup.NORMAL


def interstate_rate(*, origin_uf: str, destination_uf: str, origin: int) -> Decimal:
    """The interstate ICMS rate (4, 7 or 12 %) of goods of `origin` (the NF-e's orig) sent from
    `origin_uf` to `destination_uf`."""
    if origin in IMPORTED_ORIGINS:
        return Decimal(4)
    if origin_uf in SOUTH_SOUTHEAST and destination_uf not in SOUTH_SOUTHEAST:
        return Decimal(7)
    return Decimal(12)


def ibscbs_due(profile, issued_at: datetime | None = None) -> bool:
    """Whether the issuer's NF-e of `issued_at` (now by default) carry the IBSCBS group."""
    day = (issued_at or timezone.now()).astimezone(SAO_PAULO).date()
    return day >= IBSCBS_FROM.get(profile.regime, IBSCBS_FROM_OTHERS)


def ibscbs_charged(issued_at: datetime) -> bool:
    """Whether IBS and CBS are charged on top of the NF-e's total (vItem, vNFTot): from 2027."""
    return issued_at.astimezone(SAO_PAULO).date() >= IBSCBS_CHARGED_FROM


def spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` (in cents) shared out in proportion to `weights`: each share rounded down to the
    cent, then the cents left over one each to the largest remainders (ties: the larger weight,
    then the later item), so the shares add up to `amount` exactly and none is a cent or more
    off its exact proportion (no item gets more discount than its value)."""
    if not amount:
        return [ZERO] * len(weights)
    total = sum(weights, ZERO)
    if amount < 0 or total <= 0:
        raise ValueError(f"cannot spread {amount} over {weights}")
    exact = [amount * weight / total for weight in weights]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((amount - sum(shares, ZERO)) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - shares[i], weights[i], i), reverse=True)
    for i in order[:left]:
        shares[i] += CENT
    return shares


def _percent(value: Decimal, rate: Decimal) -> Decimal:
    return cents(value * rate / HUNDRED)


@dataclass(frozen=True)
class Tables:
    """The active tax rules and the UFs' rates as read once (two queries): the invoices of a batch
    share one reading, and each rule chosen for them (its items ask for the same few)."""

    rules: tuple[TaxRule, ...]
    rates: dict  # UF → StateTaxRate
    chosen: dict = field(default_factory=dict, repr=False, compare=False)  # rule()'s question → its rule

    @classmethod
    def load(cls) -> "Tables":
        return cls(rules=tuple(TaxRule.objects.filter(active=True)),
                   rates={rate.uf: rate for rate in StateTaxRate.objects.all()})

    def candidates(self, *, operation: str, regime: str, origin_uf: str, destination_uf: str) -> list[TaxRule]:
        """The rules of the operation and regime that fit the two UFs, whatever their NCM."""
        scope = Scope.INTERNAL if origin_uf == destination_uf else Scope.INTERSTATE
        return [rule for rule in self.rules
                if rule.operation == operation and rule.regime == regime and rule.scope in (Scope.ANY, scope)
                and rule.origin_uf in ("", origin_uf) and rule.destination_uf in ("", destination_uf)]

    def rule(self, *, operation: str, regime: str, origin_uf: str, destination_uf: str, ncm: str) -> TaxRule:
        """The most specific of these rules for an item of NCM `ncm` (see rule_for); NoTaxRule when none fits."""
        question = (operation, regime, origin_uf, destination_uf, ncm)
        if question not in self.chosen:
            where = {"operation": operation, "regime": regime, "origin_uf": origin_uf, "destination_uf": destination_uf}
            self.chosen[question] = _best(self.candidates(**where), ncm=ncm, **where)
        return self.chosen[question]


def _specificity(rule: TaxRule) -> tuple:
    """How closely a rule names what it taxes: its NCM prefix's length, then a destination, an
    origin and a scope named; then its priority; then the older rule."""
    return (len(rule.ncm_prefix), bool(rule.destination_uf), bool(rule.origin_uf), rule.scope != Scope.ANY,
            rule.priority, -rule.pk)


def _best(candidates: list[TaxRule], *, ncm: str, operation: str, regime: str, origin_uf: str,
          destination_uf: str) -> TaxRule:
    fitting = [rule for rule in candidates if ncm.startswith(rule.ncm_prefix)]
    if not fitting:
        raise NoTaxRule(_("No active tax rule for “%(operation)s” (%(regime)s) from %(origin)s to %(destination)s "
                          "covers NCM %(ncm)s: add one to the tax rules.") % {
            "operation": Operation(operation).label, "regime": RegimeGroup(regime).label, "origin": origin_uf,
            "destination": destination_uf, "ncm": ncm})
    return max(fitting, key=_specificity)


def rule_for(*, operation: str, regime: str, origin_uf: str, destination_uf: str, ncm: str) -> TaxRule:
    """The most specific active rule for an item of NCM `ncm` in `operation` by an issuer of the
    regime group `regime` (RegimeGroup), sent from `origin_uf` to `destination_uf`; NoTaxRule
    when none fits."""
    return Tables.load().rule(operation=operation, regime=regime, origin_uf=origin_uf, destination_uf=destination_uf,
                              ncm=ncm)


@dataclass(frozen=True)
class _Context:
    """What every item of one invoice shares."""

    operation: str
    group: str
    origin_uf: str
    destination_uf: str
    contributor: bool
    consumer: bool
    ibscbs: bool
    rates: dict  # UF → StateTaxRate

    @property
    def interstate(self) -> bool:
        return self.origin_uf != self.destination_uf

    @property
    def difal(self) -> bool:
        """DIFAL (EC 87/2015) for the destination UF: an interstate sale to a final consumer who is
        not an ICMS contributor, by an issuer outside the Simples Nacional (whose DIFAL on such
        sales the STF struck down, ADI 5464: NF-e rule 694 exempts CRT 1)."""
        return (self.operation in SALES and self.interstate and self.consumer and not self.contributor
                and self.group == RegimeGroup.NORMAL)

    def state(self, uf: str) -> StateTaxRate:
        try:
            return self.rates[uf]
        except KeyError:
            raise NoTaxRule(_("No internal ICMS rate for %(uf)s: add it to the state ICMS rates.") % {
                "uf": uf}) from None


def tax_items(*, profile, operation: str, destination_uf: str, contributor: bool, consumer: bool,
              lines: list[Line], freight: Decimal = ZERO, discount: Decimal = ZERO,
              issued_at: datetime | None = None, tables: Tables | None = None) -> list[InvoiceItem]:
    """The NF-e's items (unsaved, numbered from 1, every figure set) for `lines` sold — or given
    back, for a return — by the issuer of `profile` to a recipient in `destination_uf`
    (`contributor`: an ICMS contributor; `consumer`: a final consumer). `freight` and an order-wide
    `discount` are shared among the items in proportion to their values, to the cent. The IBS/CBS
    group is computed when the issuer's regime carries it on `issued_at` (ibscbs_due). The rules
    and rates are `tables` (read now when not given). NoTaxRule when an item has no rule."""
    if not lines:
        raise ValueError("an NF-e needs at least one item")
    origin_uf = profile.uf
    group = regime_group(profile)
    tables = tables or Tables.load()
    context = _Context(
        operation=operation, group=group, origin_uf=origin_uf, destination_uf=destination_uf,
        contributor=contributor, consumer=consumer, ibscbs=ibscbs_due(profile, issued_at), rates=tables.rates,
    )
    rules = [tables.rule(operation=operation, regime=group, origin_uf=origin_uf, destination_uf=destination_uf,
                         ncm=_ncm(line)) for line in lines]
    sales = [line for line in lines if line.returns_item is None]
    grosses = [cents(line.quantity * line.unit_price) for line in sales]
    nets = [gross - line.discount for gross, line in zip(grosses, sales, strict=True)]
    if any(net < 0 for net in nets) or discount > sum(nets, ZERO) or freight < 0:
        raise ValueError("discounts larger than the items, or a negative freight")
    sold = zip(grosses, spread(discount, nets), spread(freight, grosses), strict=True)
    items = []
    for position, (line, rule) in enumerate(zip(lines, rules, strict=True), start=1):
        if line.returns_item is None:
            gross, share, freight_share = next(sold)
            item = _sold(line, rule, context, gross=gross, discount=line.discount + share, freight=freight_share)
        else:
            item = _returned(line, rule, context)
        item.position = position
        items.append(item)
    return items


def _ncm(line: Line) -> str:
    return line.returns_item.ncm if line.returns_item is not None else line.product.ncm


def _new_item(**values) -> InvoiceItem:
    """A new InvoiceItem with `values` (fields and relations by name), every other figure zero."""
    fields, relations = list(_ITEM_BLANK), {}
    for name, value in values.items():
        if name in _ITEM_RELATIONS:
            relations[name] = value
        else:
            fields[_ITEM_POSITION[name]] = value
    item = InvoiceItem(*fields)
    for name, value in relations.items():
        setattr(item, name, value)
    return item


def _item(line: Line, rule: TaxRule, **figures) -> InvoiceItem:
    """An item of `line` with the product's data as invoiced and the rule's codes."""
    product = line.product
    return _new_item(
        product=product, order_item=line.order_item, sku=product.sku, name=(line.name or product.name)[:120],
        ncm=product.ncm, cest=product.cest, gtin=product.gtin, origin=product.origin, unit=product.unit,
        cfop=rule.cfop, icms_code=rule.icms_code, ipi_cst=rule.ipi_cst, pis_cst=rule.pis_cst,
        cofins_cst=rule.cofins_cst, quantity=line.quantity, unit_price=line.unit_price, **figures,
    )


def _sold(line: Line, rule: TaxRule, context: _Context, *, gross: Decimal, discount: Decimal,
          freight: Decimal) -> InvoiceItem:
    """An item sold (or transferred) of value `gross` (its quantity × price, to the cent): every
    figure from its rule and the UFs' rates."""
    item = _item(line, rule, gross=gross, discount=discount, freight=freight)
    value = gross - discount + freight  # the operation's value
    _ipi(item, rule, value)
    _icms(item, rule, context, value)
    _pis_cofins(item, rule, value - item.icms_amount)
    if context.ibscbs:
        _ibscbs(item, rule)
    item.total = value + item.st_amount + item.ipi_amount
    return item


def _ipi(item: InvoiceItem, rule: TaxRule, value: Decimal):
    """IPI on the operation's value (freight included, unconditional discounts not) when taxed;
    no IPI group at all when the rule has no IPI CST (a retailer is not an IPI taxpayer)."""
    if not rule.ipi_cst:
        return
    item.ipi_framework = rule.ipi_framework or "999"
    if rule.ipi_cst in IPI_TAXED:
        item.ipi_base, item.ipi_rate = value, rule.ipi_rate
        item.ipi_amount = _percent(value, rule.ipi_rate)


def _icms(item: InvoiceItem, rule: TaxRule, context: _Context, value: Decimal):
    """ICMS of the item's own operation, ICMS-ST, FCP and DIFAL, by the rule's CST/CSOSN.

    The rate is the interstate one between UFs, the rule's or else the origin UF's internal rate
    within the state. The base is the operation's value, with IPI when a final consumer buys
    (CF art. 155 § 2 XI), reduced by the rule's reduction for the codes that have one. ST: the
    base plus IPI, raised by the MVA, at the ST rate, less the ICMS of the own operation (which
    a Simples Nacional issuer computes at the same rates though it does not show it). DIFAL on
    the same single base ("base única"): the destination's internal rate less the interstate
    one, and the destination's FCP."""
    code = rule.icms_code
    if code not in ICMS_CODES[context.group]:
        raise NoTaxRule(_("The tax rule “%(rule)s” has the ICMS code %(code)s, which this system does not "
                          "issue for the %(regime)s.") % {"rule": rule, "code": code,
                                                         "regime": RegimeGroup(context.group).label})
    origin_state = None if context.interstate else context.state(context.origin_uf)
    if context.interstate:
        rate = interstate_rate(origin_uf=context.origin_uf, destination_uf=context.destination_uf,
                               origin=item.origin)
    else:
        rate = rule.icms_rate or origin_state.icms_rate
    base_value = value + (item.ipi_amount if context.consumer else ZERO)
    reduction = rule.icms_base_reduction if code in REDUCED_BASE else ZERO
    base = cents(base_value * (HUNDRED - reduction) / HUNDRED)
    if code in OWN_ICMS or (code in OPEN_CODES and rule.icms_rate):
        item.icms_base_reduction, item.icms_base, item.icms_rate = reduction, base, rate
        item.icms_amount = _percent(base, rate)
        if not context.interstate and context.group == RegimeGroup.NORMAL:
            item.fcp_rate = rule.fcp_rate or origin_state.fcp_rate
            item.fcp_amount = _percent(base, item.fcp_rate)
    if code in SN_CREDIT or (code in OPEN_CODES and context.group == RegimeGroup.SIMPLES and rule.sn_credit_rate):
        item.sn_credit_rate = rule.sn_credit_rate
        item.sn_credit_amount = _percent(value, rule.sn_credit_rate)
    with_st = code in WITH_ST or (code in OPEN_CODES and rule.st_rate)
    if (with_st or code in ST_BEFORE) and not item.cest:
        raise NoTaxRule(_("%(sku)s has no CEST, which an item under ICMS-ST needs: fill it in on the product.")
                        % {"sku": item.sku})
    if with_st:
        own = item.icms_amount if item.icms_base else _percent(base, rate)
        item.st_mva, item.st_rate = rule.st_mva, rule.st_rate
        item.st_base = cents((value + item.ipi_amount) * (HUNDRED + rule.st_mva) / HUNDRED)
        item.st_amount = max(_percent(item.st_base, rule.st_rate) - own, ZERO)
    if context.difal and item.icms_base:
        destination = context.state(context.destination_uf)
        item.difal_rate = destination.icms_rate
        item.difal_amount = max(_percent(item.icms_base, destination.icms_rate - item.icms_rate), ZERO)
        item.fcp_rate = destination.fcp_rate
        item.fcp_amount = _percent(item.icms_base, destination.fcp_rate)


def _pis_cofins(item: InvoiceItem, rule: TaxRule, base: Decimal):
    """PIS and COFINS at the rule's rates on the operation's value less its ICMS (the ICMS shown
    on the NF-e is no revenue: STF, RE 574.706), none for the not-taxed CSTs or a zero rate."""
    for tax in ("pis", "cofins"):
        rate = getattr(rule, f"{tax}_rate")
        if rate and getattr(rule, f"{tax}_cst") not in PIS_COFINS_NOT_TAXED:
            setattr(item, f"{tax}_base", base)
            setattr(item, f"{tax}_rate", rate)
            setattr(item, f"{tax}_amount", _percent(base, rate))


def _ibscbs(item: InvoiceItem, rule: TaxRule):
    """The IBSCBS group: the rule's CST and cClassTrib; for the CSTs that carry values, a single
    base — the operation's value less the ICMS, its DIFAL and FCP, PIS and COFINS (NT 2025.002-RTC,
    UB15: IBS and CBS are charged "por fora", on the value without the taxes they replace) — at the
    rule's IBS (state and municipal) and CBS rates."""
    if not (rule.ibscbs_cst and rule.ibscbs_class):
        raise NoTaxRule(_("The tax rule “%(rule)s” has no IBS/CBS CST and cClassTrib, which this issuer's NF-e "
                          "carry: fill them in.") % {"rule": rule})
    item.ibscbs_cst, item.ibscbs_class = rule.ibscbs_cst, rule.ibscbs_class
    if rule.ibscbs_cst in IBSCBS_WITHOUT_VALUES:
        return
    base = (item.gross - item.discount + item.freight - item.icms_amount - item.difal_amount - item.fcp_amount
            - item.pis_amount - item.cofins_amount)
    item.ibscbs_base = base
    item.ibs_state_rate, item.ibs_city_rate, item.cbs_rate = rule.ibs_state_rate, rule.ibs_city_rate, rule.cbs_rate
    item.ibs_state_amount = _percent(base, rule.ibs_state_rate)
    item.ibs_city_amount = _percent(base, rule.ibs_city_rate)
    item.ibs_amount = item.ibs_state_amount + item.ibs_city_amount
    item.cbs_amount = _percent(base, rule.cbs_rate)


def _returned(line: Line, rule: TaxRule, context: _Context) -> InvoiceItem:
    """An item given back: the original item's price, rates and taxes, each figure its share of
    the original's for the quantity returned (rounded down; the last return takes what is left,
    so the returns of an item add up to it and never exceed it). The return's rule gives the CFOP
    (1202/2202 …) and the PIS/COFINS and IPI CSTs (IPI of a taxed sale comes back under 00 when
    the rule names none); the ICMS code is the original's CST in Regime Normal, whose return
    credits back the ICMS the sale debited, and the rule's CSOSN in the Simples Nacional — 900,
    which carries any figure, when the sale had ICMS figures the rule's code cannot show. PIS and
    COFINS come back only when the return's rule has a rate for them (a credit, in the
    non-cumulative regime); at 0 % the return shows none."""
    original = line.returns_item
    earlier = (InvoiceItem.objects.filter(returns_item=original).exclude(invoice__status__in=DEAD)
               .aggregate(quantity=Sum("quantity"), **{name: Sum(name) for name in RETURNED_FIGURES}))
    left = original.quantity - (earlier["quantity"] or ZERO)
    if line.quantity > left:
        raise ValueError(f"{line.quantity} returned of {original}, which has {left} left")
    if line.quantity == left:
        figures = {name: getattr(original, name) - (earlier[name] or ZERO) for name in RETURNED_FIGURES}
    else:
        share = line.quantity / original.quantity
        figures = {name: (getattr(original, name) * share).quantize(CENT, rounding=ROUND_DOWN)
                   for name in RETURNED_FIGURES}
    if context.group == RegimeGroup.NORMAL:
        icms_code = original.icms_code
    else:
        carried = original.icms_base or original.st_base or original.sn_credit_amount
        icms_code = rule.icms_code if rule.icms_code == "900" or not carried else "900"
    ipi_cst = (rule.ipi_cst or ("00" if original.ipi_amount else "49")) if original.ipi_cst else ""
    item = _new_item(
        product=original.product, returns_item=original, sku=original.sku, name=original.name, ncm=original.ncm,
        cest=original.cest, gtin=original.gtin, origin=original.origin, unit=original.unit, cfop=rule.cfop,
        quantity=line.quantity, unit_price=original.unit_price, gross=cents(line.quantity * original.unit_price),
        icms_code=icms_code, pis_cst=rule.pis_cst, cofins_cst=rule.cofins_cst, ipi_cst=ipi_cst,
        ipi_framework=original.ipi_framework, ibscbs_cst=original.ibscbs_cst, ibscbs_class=original.ibscbs_class,
        **figures,
        **{name: getattr(original, name) for name in (
            "icms_base_reduction", "icms_rate", "sn_credit_rate", "st_mva", "st_rate", "fcp_rate", "difal_rate",
            "ipi_rate", "pis_rate", "cofins_rate", "ibs_state_rate", "ibs_city_rate", "cbs_rate")},
    )
    for tax in ("pis", "cofins"):
        if getattr(item, f"{tax}_cst") in PIS_COFINS_NOT_TAXED or not getattr(rule, f"{tax}_rate"):
            _clear(item, tax)
    if item.ipi_cst not in IPI_WITH_VALUES:
        _clear(item, "ipi")
    item.ibs_amount = item.ibs_state_amount + item.ibs_city_amount
    item.total = item.gross - item.discount + item.freight + item.st_amount + item.ipi_amount
    return item


def _clear(item: InvoiceItem, tax: str):
    for suffix in ("base", "rate", "amount"):
        setattr(item, f"{tax}_{suffix}", ZERO)


def invoice_totals(items: list[InvoiceItem]) -> dict[str, Decimal]:
    """The Invoice's total fields: each the sum of its items' figure (ICMSTot and IBSCBSTot are
    validated as such sums), the total being vNF — products less discounts, plus freight, ICMS-ST
    and IPI (IBS and CBS stay out of it in 2026)."""
    return {field: sum((getattr(item, figure) for item in items), ZERO) for field, figure in TOTALS.items()}
