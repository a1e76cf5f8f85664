"""The tax tables a store starts with, editable afterwards on the fiscal screens: each UF's
internal ICMS rate and FCP, and tax rules for a retailer of goods bought from third parties in the
Simples Nacional and in Regime Normal (Lucro Presumido: cumulative PIS/COFINS); and which
operation an order is. The accountant checks them against the store's products and states.

Rates as of 2026 (the modal internal rate of each UF, FCP where it applies to most goods; many
UFs add FCP to listed goods only — a rule with an NCM prefix says so). IBS/CBS: the 2026 test
rates, CBS 0.9 % and IBS 0.1 % (all the state's; the municipalities' 0 %), CST 000 (full
taxation) with cClassTrib 000001, for Regime Normal; Simples Nacional rules get theirs for 2027."""

from decimal import Decimal

from .models import Operation, RegimeGroup, Scope
from .taxes import is_contributor

# UF: (internal ICMS %, FCP %).
STATE_RATES = {
    "AC": ("19", "0"), "AL": ("19", "1"), "AM": ("20", "0"), "AP": ("18", "0"), "BA": ("20.5", "0"),
    "CE": ("20", "0"), "DF": ("20", "0"), "ES": ("17", "0"), "GO": ("19", "0"), "MA": ("23", "0"),
    "MG": ("18", "0"), "MS": ("17", "0"), "MT": ("17", "0"), "PA": ("19", "0"), "PB": ("20", "0"),
    "PE": ("20.5", "0"), "PI": ("22.5", "0"), "PR": ("19.5", "0"), "RJ": ("20", "2"), "RN": ("20", "0"),
    "RO": ("19.5", "0"), "RR": ("20", "0"), "RS": ("17", "0"), "SC": ("17", "0"), "SE": ("19", "1"),
    "SP": ("18", "0"), "TO": ("20", "0"),
}

# (operation, scope, CFOP, Simples CSOSN, Regime Normal CST, Regime Normal PIS/COFINS CST, at the
# cumulative rates). Sales to consumers between states take 6108 (to a non-contributor); returns
# credit the sale back (CSOSN 900; the sale's own CST in Regime Normal, see taxes._returned) with
# no PIS/COFINS credit in the cumulative regime (CST 99 at 0 %); transfers between the store's
# establishments are no ICMS event (LC 204/2023: CST 41, CSOSN 400). The Simples Nacional pays
# PIS/COFINS in its DAS: CST 49 (99 on entries) at 0 %; no IPI group (a retailer pays no IPI).
OPERATIONS = [
    (Operation.SALE_CONSUMER, Scope.INTERNAL, "5102", "102", "00", "01", True),
    (Operation.SALE_CONSUMER, Scope.INTERSTATE, "6108", "102", "00", "01", True),
    (Operation.SALE_COMPANY, Scope.INTERNAL, "5102", "102", "00", "01", True),
    (Operation.SALE_COMPANY, Scope.INTERSTATE, "6102", "102", "00", "01", True),
    (Operation.RETURN, Scope.INTERNAL, "1202", "900", "00", "99", False),
    (Operation.RETURN, Scope.INTERSTATE, "2202", "900", "00", "99", False),
    (Operation.TRANSFER, Scope.INTERNAL, "5152", "400", "41", "49", False),
    (Operation.TRANSFER, Scope.INTERSTATE, "6152", "400", "41", "49", False),
]
PIS_CUMULATIVE, COFINS_CUMULATIVE = Decimal("0.65"), Decimal("3.00")
CBS_2026, IBS_STATE_2026 = Decimal("0.9"), Decimal("0.1")
# A transfer is no supply for a price: IBS/CBS not levied (CST 410, "other non-onerous operations").
IBSCBS_CODES = {Operation.TRANSFER: ("410", "410999")}
IBSCBS_TAXED = ("000", "000001")


def tax_rules() -> list[dict]:
    """The default rules, as field values of TaxRule."""
    rules = []
    for operation, scope, cfop, csosn, cst, pis_cst, taxed in OPERATIONS:
        rules.append({"operation": operation, "regime": RegimeGroup.SIMPLES, "scope": scope, "cfop": cfop,
                      "icms_code": csosn, "pis_cst": "99" if operation == Operation.RETURN else "49",
                      "cofins_cst": "99" if operation == Operation.RETURN else "49"})
        ibscbs_cst, ibscbs_class = IBSCBS_CODES.get(operation, IBSCBS_TAXED)
        rules.append({
            "operation": operation, "regime": RegimeGroup.NORMAL, "scope": scope, "cfop": cfop, "icms_code": cst,
            "pis_cst": pis_cst, "pis_rate": PIS_CUMULATIVE if taxed else 0, "cofins_cst": pis_cst,
            "cofins_rate": COFINS_CUMULATIVE if taxed else 0, "ibscbs_cst": ibscbs_cst, "ibscbs_class": ibscbs_class,
            "cbs_rate": CBS_2026 if ibscbs_cst == "000" else 0,
            "ibs_state_rate": IBS_STATE_2026 if ibscbs_cst == "000" else 0,
        })
    return rules


def load(*, tax_rule_model, state_rate_model) -> None:
    """Fill in the tables (the models given, so a data migration passes its historical ones):
    every UF's rate not there yet, and the default rules when there is no rule at all — a store
    that edited or deleted them keeps its own."""
    for uf, (icms_rate, fcp_rate) in STATE_RATES.items():
        state_rate_model.objects.get_or_create(uf=uf, defaults={"icms_rate": Decimal(icms_rate),
                                                                "fcp_rate": Decimal(fcp_rate)})
    if not tax_rule_model.objects.exists():
        tax_rule_model.objects.bulk_create([tax_rule_model(**rule) for rule in tax_rules()])


def operation_for(customer) -> str:
    """The sale an order of `customer` is: to a company when it is an ICMS contributor (a CNPJ
    with its IE), to a consumer otherwise (a CPF, or a CNPJ without IE or exempt)."""
    return Operation.SALE_COMPANY if is_contributor(customer) else Operation.SALE_CONSUMER
