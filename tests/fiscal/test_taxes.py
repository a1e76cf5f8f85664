"""The tax engine: the rule each item takes, its figures worked out by hand, the default tables,
IBS/CBS by regime and date, returns in proportion to the sale, and items that add up to the
invoice's totals to the cent whatever the order."""

import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from fiscal import defaults, taxes
from fiscal.models import (
    Invoice,
    InvoiceItem,
    Operation,
    Regime,
    RegimeGroup,
    Scope,
    StateTaxRate,
    TaxRule,
)
from inventory.models import Product
from orders.models import Customer

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DECEMBER_2026 = datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO)
D = Decimal


def product(*, ncm="61091000", origin=0, sku="CAM-1", cest="") -> Product:
    return Product(sku=sku, name="Camiseta", ncm=ncm, cest=cest, origin=origin, unit="UN", price=D("1"))


def line(price, *, quantity=1, discount="0", ncm="61091000", origin=0, cest="2003500") -> taxes.Line:
    return taxes.Line(product=product(ncm=ncm, origin=origin, cest=cest), quantity=D(quantity), unit_price=D(price),
                      discount=D(discount))


def items_for(profile, *lines, operation=Operation.SALE_CONSUMER, to="SP", contributor=False, freight="0",
              discount="0", when=DECEMBER_2026, tables=None):
    return taxes.tax_items(profile=profile, operation=operation, destination_uf=to, contributor=contributor,
                           consumer=not contributor, lines=list(lines), freight=D(freight), discount=D(discount),
                           issued_at=when, tables=tables)


def rule(**fields) -> TaxRule:
    values = {"operation": Operation.SALE_CONSUMER, "regime": RegimeGroup.NORMAL, "scope": Scope.ANY,
              "cfop": "5102", "icms_code": "00", "pis_cst": "01", "cofins_cst": "01", "ibscbs_cst": "000",
              "ibscbs_class": "000001"}
    return TaxRule.objects.create(**values | fields)


# Rates and rules


@pytest.mark.parametrize("origin_uf,destination_uf,origin,rate", [
    ("SP", "MG", 0, 12),  # South/Southeast to South/Southeast
    ("SP", "BA", 0, 7),   # to the Northeast
    ("SP", "ES", 0, 7),   # Espírito Santo takes 7 % from the South and Southeast
    ("SP", "GO", 0, 7),   # to the Center-West
    ("ES", "SP", 0, 12),  # but sends at 12 %
    ("BA", "SP", 0, 12),
    ("BA", "PE", 0, 12),
    ("SP", "RJ", 1, 4),   # imported directly
    ("SP", "BA", 2, 4),   # imported, bought in Brazil
    ("SP", "RJ", 3, 4),   # 40-70 % imported content
    ("SP", "RJ", 8, 4),   # over 70 % imported content
    ("SP", "RJ", 5, 12),  # up to 40 %: national
    ("SP", "BA", 6, 7),   # imported without a national similar (CAMEX): not 4 %
])
def test_interstate_icms_is_4_7_or_12_percent(origin_uf, destination_uf, origin, rate):
    assert taxes.interstate_rate(origin_uf=origin_uf, destination_uf=destination_uf, origin=origin) == rate


def test_the_most_specific_active_rule_wins(tax_tables):
    find = {"operation": Operation.SALE_CONSUMER, "regime": RegimeGroup.NORMAL, "origin_uf": "SP"}
    default = taxes.rule_for(destination_uf="SP", ncm="61091000", **find)
    assert (default.cfop, default.scope) == ("5102", Scope.INTERNAL)
    shirts = rule(ncm_prefix="6109", cfop="5405", icms_code="60")
    assert taxes.rule_for(destination_uf="SP", ncm="61091000", **find) == shirts
    assert taxes.rule_for(destination_uf="SP", ncm="65050090", **find) == default
    longer = rule(ncm_prefix="610910", cfop="5102", icms_code="20", icms_base_reduction=D("10"))
    assert taxes.rule_for(destination_uf="SP", ncm="61091000", **find) == longer
    to_rj = rule(ncm_prefix="610910", destination_uf="RJ", cfop="6102")
    assert taxes.rule_for(destination_uf="RJ", ncm="61091000", **find) == to_rj
    assert taxes.rule_for(destination_uf="SP", ncm="61091000", **find) == longer  # an RJ rule is not for SP
    preferred = rule(ncm_prefix="610910", cfop="5101", priority=5)
    assert taxes.rule_for(destination_uf="SP", ncm="61091000", **find) == preferred
    preferred.active = False
    preferred.save()
    assert taxes.rule_for(destination_uf="SP", ncm="61091000", **find) == longer


def test_no_rule_says_what_has_none(tax_tables):
    TaxRule.objects.filter(operation=Operation.TRANSFER, regime=RegimeGroup.SIMPLES).delete()
    with translation.override("en"), pytest.raises(taxes.NoTaxRule) as refused:
        taxes.rule_for(operation=Operation.TRANSFER, regime=RegimeGroup.SIMPLES, origin_uf="SP", destination_uf="BA",
                       ncm="61091000")
    assert str(refused.value) == ("No active tax rule for “Transfer between establishments” (Simples Nacional and "
                                  "MEI (CSOSN)) from SP to BA covers NCM 61091000: add one to the tax rules.")


def test_a_batch_reads_the_tables_once(normal_profile, django_assert_num_queries):
    normal_profile.city  # the profile's UF, read once
    tables = taxes.Tables.load()
    with django_assert_num_queries(0):
        for destination in ("SP", "MG", "AM"):
            items_for(normal_profile, line("10.00"), to=destination, tables=tables)


def test_a_missing_rule_stops_the_whole_invoice(fiscal_profile):
    TaxRule.objects.filter(regime=RegimeGroup.SIMPLES, operation=Operation.SALE_CONSUMER).update(
        ncm_prefix="6109")
    with pytest.raises(taxes.NoTaxRule, match="65050090"):
        items_for(fiscal_profile, line("59.90"), line("39.90", ncm="65050090"))


# Figures worked out by hand


def test_regime_normal_within_sp_by_hand(normal_profile):
    """R$ 100,00 less R$ 10,00 at SP's 18 %: ICMS 16,20; PIS and COFINS on 90,00 − 16,20 = 73,80
    (0,4797 → 0,48; 2,214 → 2,21); IBS/CBS on 73,80 − 0,48 − 2,21 = 71,11 (CBS 0,9 %: 0,63999 → 0,64;
    IBS 0,1 %: 0,07111 → 0,07)."""
    [item] = items_for(normal_profile, line("100.00", discount="10.00"))
    assert (item.cfop, item.icms_code, item.position) == ("5102", "00", 1)
    assert (item.gross, item.discount, item.icms_base, item.icms_rate, item.icms_amount) == (
        D("100.00"), D("10.00"), D("90.00"), D("18"), D("16.20"))
    assert (item.pis_base, item.pis_amount, item.cofins_amount) == (D("73.80"), D("0.48"), D("2.21"))
    assert (item.ibscbs_cst, item.ibscbs_class, item.ibscbs_base) == ("000", "000001", D("71.11"))
    assert (item.cbs_amount, item.ibs_state_amount, item.ibs_city_amount, item.ibs_amount) == (
        D("0.64"), D("0.07"), D("0.00"), D("0.07"))
    assert (item.st_amount, item.difal_amount, item.fcp_amount, item.total) == (0, 0, 0, D("90.00"))


def test_simples_nacional_shows_no_icms_and_no_ibs_cbs_in_2026(fiscal_profile):
    [item] = items_for(fiscal_profile, line("100.00", discount="10.00"), freight="5.00")
    assert (item.cfop, item.icms_code, item.pis_cst, item.cofins_cst, item.ipi_cst) == ("5102", "102", "49", "49", "")
    assert (item.icms_base, item.icms_amount, item.pis_amount, item.cofins_amount, item.ibscbs_cst) == (
        0, 0, 0, 0, "")
    assert (item.freight, item.total) == (D("5.00"), D("95.00"))


def test_ipi_and_icms_st_by_hand(normal_profile):
    """To a contributor (no IPI in the ICMS base): R$ 100,00 at IPI 10 % = 10,00; own ICMS 18 % =
    18,00; ST base (100 + 10) × 1,40 = 154,00 at 18 % = 27,72, less 18,00 = 9,72; total 119,72."""
    rule(operation=Operation.SALE_COMPANY, ncm_prefix="3304", icms_code="10", st_mva=D("40"), st_rate=D("18"),
         ipi_cst="50", ipi_rate=D("10"), ipi_framework="999")
    [item] = items_for(normal_profile, line("100.00", ncm="33049910"), operation=Operation.SALE_COMPANY,
                       contributor=True)
    assert (item.ipi_cst, item.ipi_base, item.ipi_amount) == ("50", D("100.00"), D("10.00"))
    assert (item.icms_base, item.icms_amount) == (D("100.00"), D("18.00"))
    assert (item.st_mva, item.st_base, item.st_rate, item.st_amount) == (D("40"), D("154.00"), D("18"), D("9.72"))
    assert item.total == D("119.72")


@pytest.mark.parametrize("code", ["10", "60"])
def test_an_item_under_st_needs_its_cest(normal_profile, code):
    rule(ncm_prefix="3304", icms_code=code, st_mva=D("40"), st_rate=D("18"))
    with pytest.raises(taxes.NoTaxRule, match="CEST"):
        items_for(normal_profile, line("100.00", ncm="33049910", cest=""))


def test_a_consumer_pays_icms_on_the_ipi_too(normal_profile):
    rule(ncm_prefix="3304", ipi_cst="50", ipi_rate=D("10"))
    [item] = items_for(normal_profile, line("100.00", ncm="33049910"))
    assert (item.ipi_amount, item.icms_base, item.icms_amount, item.total) == (
        D("10.00"), D("110.00"), D("19.80"), D("110.00"))


def test_a_simples_issuer_deducts_the_icms_it_does_not_show_from_the_st(fiscal_profile):
    """CSOSN 202: own ICMS 18 % of 50,00 = 9,00 (not shown); ST base 50 × 1,5 = 75,00 at 18 % = 13,50 − 9,00 = 4,50."""
    rule(regime=RegimeGroup.SIMPLES, ncm_prefix="3304", icms_code="202", pis_cst="49", cofins_cst="49",
         st_mva=D("50"), st_rate=D("18"))
    [item] = items_for(fiscal_profile, line("50.00", ncm="33049910"))
    assert (item.icms_base, item.icms_amount, item.st_base, item.st_amount, item.total) == (
        0, 0, D("75.00"), D("4.50"), D("54.50"))


def test_a_simples_credit_for_a_contributor(fiscal_profile):
    rule(regime=RegimeGroup.SIMPLES, operation=Operation.SALE_COMPANY, icms_code="101", pis_cst="49",
         cofins_cst="49", sn_credit_rate=D("1.25"), ncm_prefix="6109")
    [item] = items_for(fiscal_profile, line("80.00"), operation=Operation.SALE_COMPANY, contributor=True)
    assert (item.icms_code, item.sn_credit_rate, item.sn_credit_amount, item.icms_amount) == (
        "101", D("1.25"), D("1.00"), 0)


def test_a_reduced_base(normal_profile):
    rule(ncm_prefix="6109", icms_code="20", icms_base_reduction=D("33.3333"))
    [item] = items_for(normal_profile, line("150.00"))
    assert (item.icms_base_reduction, item.icms_base, item.icms_amount) == (D("33.3333"), D("100.00"), D("18.00"))


def test_difal_for_a_consumer_in_another_state_by_hand(normal_profile):
    """R$ 200,00 to a consumer in MG: 12 % to SP (24,00), MG's 18 % less 12 % to MG (12,00)."""
    [item] = items_for(normal_profile, line("200.00"), to="MG")
    assert (item.cfop, item.icms_rate, item.icms_amount) == ("6108", D("12"), D("24.00"))
    assert (item.difal_rate, item.difal_amount, item.fcp_rate, item.fcp_amount) == (D("18"), D("12.00"), 0, 0)


def test_difal_with_the_destinations_fcp(normal_profile):
    """To RJ (20 % plus FCP 2 %): 12 % to SP, 8 % DIFAL (16,00) and FCP 4,00 to RJ; imported goods
    go at 4 %, and RJ takes 16 %."""
    shirt, cap = items_for(normal_profile, line("200.00"), line("100.00", origin=1), to="RJ")
    assert (shirt.icms_amount, shirt.difal_amount, shirt.fcp_rate, shirt.fcp_amount) == (
        D("24.00"), D("16.00"), D("2"), D("4.00"))
    assert (cap.icms_rate, cap.icms_amount, cap.difal_amount, cap.fcp_amount) == (D("4"), D("4.00"), D("16.00"),
                                                                                 D("2.00"))
    # IBS/CBS base: 200 − 24 − 16 − 4 − PIS 1,14 (0,65 % of 176) − COFINS 5,28 (3 % of 176) = 149,58
    assert (shirt.pis_amount, shirt.cofins_amount, shirt.ibscbs_base) == (D("1.14"), D("5.28"), D("149.58"))


def test_no_difal_for_a_contributor_or_from_the_simples(normal_profile, fiscal_profile):
    [company] = items_for(normal_profile, line("200.00"), to="MG", operation=Operation.SALE_COMPANY, contributor=True)
    assert (company.cfop, company.difal_rate, company.difal_amount) == ("6102", 0, 0)
    normal_profile.regime = Regime.SIMPLES
    [simples] = items_for(normal_profile, line("200.00"), to="MG")
    assert (simples.cfop, simples.icms_code, simples.difal_amount) == ("6108", "102", 0)


def test_fcp_within_rj_comes_from_the_state_table(normal_profile):
    normal_profile.city_id = "3304557"  # the store moves to Rio de Janeiro
    [item] = items_for(normal_profile, line("100.00"), to="RJ")
    assert (item.icms_rate, item.icms_amount, item.fcp_rate, item.fcp_amount, item.difal_amount) == (
        D("20"), D("20.00"), D("2"), D("2.00"), 0)


def test_a_rule_with_a_code_the_builder_cannot_write_is_refused(normal_profile):
    rule(ncm_prefix="6109", icms_code="51")
    with pytest.raises(taxes.NoTaxRule, match="51"):
        items_for(normal_profile, line("10.00"))


# IBS/CBS by regime and date


@pytest.mark.parametrize("regime,when,due", [
    (Regime.NORMAL, datetime(2025, 12, 31, 23, 59, tzinfo=SAO_PAULO), False),
    (Regime.NORMAL, datetime(2026, 1, 1, 0, 0, tzinfo=SAO_PAULO), True),
    (Regime.SIMPLES, datetime(2026, 12, 31, 23, 59, tzinfo=SAO_PAULO), False),
    (Regime.SIMPLES_EXCESS, datetime(2026, 6, 1, tzinfo=SAO_PAULO), False),
    (Regime.MEI, datetime(2027, 1, 1, 0, 0, tzinfo=SAO_PAULO), True),
    (Regime.SIMPLES, datetime(2027, 1, 1, 2, 59, tzinfo=ZoneInfo("UTC")), False),  # still 2026 in São Paulo
])
def test_ibs_cbs_are_due_by_regime_and_date(regime, when, due):
    assert taxes.ibscbs_due(type("Profile", (), {"regime": regime})(), when) is due


def test_from_2027_a_simples_rule_needs_its_ibs_cbs_codes(fiscal_profile):
    with pytest.raises(taxes.NoTaxRule, match="IBS/CBS"):
        items_for(fiscal_profile, line("10.00"), when=datetime(2027, 1, 4, tzinfo=SAO_PAULO))


def test_regime_normal_before_2026_has_no_ibs_cbs(normal_profile):
    [item] = items_for(normal_profile, line("10.00"), when=datetime(2025, 11, 3, tzinfo=SAO_PAULO))
    assert (item.ibscbs_cst, item.cbs_amount) == ("", 0)


def test_a_transfer_carries_ibs_cbs_codes_without_values(normal_profile):
    [item] = items_for(normal_profile, line("10.00"), operation=Operation.TRANSFER, to="MG")
    assert (item.cfop, item.icms_code, item.icms_amount, item.ibscbs_cst, item.ibscbs_class, item.ibscbs_base) == (
        "6152", "41", 0, "410", "410999", 0)


# The default tables


def test_the_defaults_cover_every_uf_and_every_operation(tax_tables):
    assert StateTaxRate.objects.count() == 27
    assert StateTaxRate.objects.get(uf="SP").icms_rate == 18
    assert (StateTaxRate.objects.get(uf="RJ").icms_rate, StateTaxRate.objects.get(uf="RJ").fcp_rate) == (20, 2)
    for group in RegimeGroup.values:
        for operation in Operation.values:
            for destination in ("SP", "AM"):
                found = taxes.rule_for(operation=operation, regime=group, origin_uf="SP", destination_uf=destination,
                                       ncm="61091000")
                assert found.cfop[0] == {("SP", False): "5", ("AM", False): "6", ("SP", True): "1",
                                         ("AM", True): "2"}[destination, operation == Operation.RETURN]
    normal = TaxRule.objects.get(regime=RegimeGroup.NORMAL, operation=Operation.SALE_CONSUMER, scope=Scope.INTERNAL)
    assert (normal.pis_rate, normal.cofins_rate, normal.cbs_rate, normal.ibs_state_rate, normal.ibs_city_rate) == (
        D("0.65"), D("3"), D("0.9"), D("0.1"), 0)


def test_the_data_migration_loaded_the_defaults(db):
    assert StateTaxRate.objects.count() == 27
    assert TaxRule.objects.count() == len(defaults.tax_rules()) == 16


def test_loading_the_defaults_again_keeps_the_stores_own(tax_tables):
    StateTaxRate.objects.filter(uf="SP").update(icms_rate=D("19"))
    TaxRule.objects.filter(operation=Operation.TRANSFER).delete()
    defaults.load(tax_rule_model=TaxRule, state_rate_model=StateTaxRate)
    assert StateTaxRate.objects.get(uf="SP").icms_rate == 19
    assert not TaxRule.objects.filter(operation=Operation.TRANSFER).exists()


@pytest.mark.parametrize("kind,registration,operation,indicator", [
    ("person", "", Operation.SALE_CONSUMER, "9"),
    ("company", "", Operation.SALE_CONSUMER, "9"),
    ("company", "isento", Operation.SALE_CONSUMER, "2"),
    ("company", "110042490114", Operation.SALE_COMPANY, "1"),
])
def test_an_orders_operation_follows_the_customers_ie(kind, registration, operation, indicator):
    customer = Customer(kind=kind, state_registration=registration)
    assert (defaults.operation_for(customer), taxes.ie_indicator(customer)) == (operation, indicator)


# Spreading the order's freight and discount


def test_the_freight_is_spread_in_proportion_with_the_cents_on_the_largest_remainders():
    assert taxes.spread(D("10.00"), [D("1"), D("1"), D("1")]) == [D("3.33"), D("3.33"), D("3.34")]
    assert taxes.spread(D("15.00"), [D("119.80"), D("39.90")]) == [D("11.25"), D("3.75")]
    assert taxes.spread(D("0"), [D("5")]) == [D("0")]


def test_no_item_gets_more_of_a_discount_than_its_value():
    shares = taxes.spread(D("1.04"), [D("0.01")] * 5 + [D("1.00")])
    assert shares == [D("0.01")] * 5 + [D("0.99")]


def test_items_add_up_to_the_totals_to_the_cent_over_random_orders(normal_profile, fiscal_profile):
    """Random orders (prices, quantities, discounts, freight, an order-wide discount, imported
    goods, within SP and to other UFs, in both regimes): every invoice total is the sum of its
    items' figures, the freight and discounts add up to the order's, and each item's total is its
    value plus ST and IPI."""
    rule(ncm_prefix="3304", icms_code="10", st_mva=D("35"), st_rate=D("18"), ipi_cst="50", ipi_rate=D("5"))
    dice = random.Random(15)
    for _ in range(150):
        normal_profile.regime = dice.choice([Regime.SIMPLES, Regime.NORMAL])
        lines = []
        for _item in range(dice.randint(1, 6)):
            quantity, price = dice.randint(1, 7), D(dice.randint(1, 300_000)) / 100
            gross = quantity * price
            lines.append(line(price, quantity=quantity, discount=(gross * D(dice.random()) / 2).quantize(D("0.01")),
                              ncm=dice.choice(["61091000", "65050090", "33049910"]), origin=dice.choice([0, 0, 1, 6])))
        nets = sum(cents_of(ln) for ln in lines)
        freight = D(dice.randint(0, 5_000)) / 100
        discount = (nets * D(dice.random()) / 3).quantize(D("0.01"))
        contributor = dice.random() < 0.3
        items = items_for(normal_profile, *lines, to=dice.choice(["SP", "RJ", "MG", "BA", "AM"]), freight=freight,
                          discount=discount, contributor=contributor,
                          operation=Operation.SALE_COMPANY if contributor else Operation.SALE_CONSUMER)
        totals = taxes.invoice_totals(items)
        for field, figure in taxes.TOTALS.items():
            assert totals[field] == sum(getattr(item, figure) for item in items)
        assert totals["freight_total"] == freight
        assert totals["discount_total"] == sum(ln.discount for ln in lines) + discount
        assert totals["total"] == (totals["products_total"] - totals["discount_total"] + totals["freight_total"]
                                   + totals["st_total"] + totals["ipi_total"])
        for item in items:
            assert item.gross - item.discount >= 0 and item.freight >= 0
            assert item.ibs_amount == item.ibs_state_amount + item.ibs_city_amount
            for figure in taxes.TOTALS.values():
                assert getattr(item, figure) == getattr(item, figure).quantize(D("0.01")), figure


def cents_of(ln: taxes.Line) -> Decimal:
    return (ln.quantity * ln.unit_price).quantize(D("0.01")) - ln.discount


# Returns


@pytest.fixture
def sale(normal_profile):
    """An authorized Regime Normal sale of 3 items at R$ 33,33 (less R$ 1,00) with R$ 10,00 freight, to MG."""
    invoice = Invoice.objects.create(operation=Operation.SALE_CONSUMER, environment=2, series=1, number=7,
                                     status=Invoice.Status.AUTHORIZED)
    items = items_for(normal_profile, line("33.33", quantity=3, discount="1.00"), to="MG", freight="10.00")
    for item in items:
        item.invoice = invoice
        item.product.save()
        item.product = item.product
    InvoiceItem.objects.bulk_create(items)
    return invoice.items.get()


def give_back(profile, original, quantity, *, number):
    [item] = items_for(profile, taxes.Line(product=original.product, quantity=D(quantity),
                                           unit_price=original.unit_price, returns_item=original),
                       operation=Operation.RETURN, to="MG")
    item.invoice = Invoice.objects.create(operation=Operation.RETURN, environment=2, series=1, number=number,
                                          direction=Invoice.Direction.INCOMING, purpose=Invoice.Purpose.RETURN)
    item.save()
    return item


def test_returns_give_back_shares_of_the_sale_and_add_up_to_it(normal_profile, sale):
    first = give_back(normal_profile, sale, 1, number=8)
    assert (first.cfop, first.icms_code, first.pis_cst, first.returns_item) == ("2202", "00", "99", sale)
    assert (first.gross, first.icms_rate) == (D("33.33"), sale.icms_rate)
    # A third of each figure, rounded down: 1,00 / 3 → 0,33; 10,00 / 3 → 3,33; ICMS 12,12 / 3 → 4,04.
    assert (first.discount, first.freight, first.icms_amount) == (D("0.33"), D("3.33"), (sale.icms_amount / 3)
                                                                  .quantize(D("0.01"), rounding="ROUND_DOWN"))
    assert (first.pis_amount, first.cofins_amount) == (0, 0)  # cumulative PIS/COFINS: no credit on the return
    second = give_back(normal_profile, sale, 2, number=9)
    for figure in ("discount", "freight", "icms_base", "icms_amount", "difal_amount", "ibscbs_base", "cbs_amount",
                   "ibs_amount"):
        assert getattr(first, figure) + getattr(second, figure) == getattr(sale, figure), figure
    assert first.total + second.total == sale.total
    with pytest.raises(ValueError):
        give_back(normal_profile, sale, 1, number=10)


def test_a_cancelled_return_gives_nothing_back(normal_profile, sale):
    cancelled = give_back(normal_profile, sale, 3, number=8)
    Invoice.objects.filter(pk=cancelled.invoice_id).update(status=Invoice.Status.CANCELLED)
    again = give_back(normal_profile, sale, 3, number=9)
    assert (again.total, again.icms_amount) == (sale.total, sale.icms_amount)


def test_a_simples_return_takes_csosn_900(fiscal_profile, normal_profile, sale):
    fiscal_profile.regime = Regime.SIMPLES
    item = give_back(fiscal_profile, sale, 3, number=8)
    assert (item.cfop, item.icms_code, item.pis_cst) == ("2202", "900", "99")
