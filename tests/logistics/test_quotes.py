"""Freight quotes (logistics.quotes), each case worked out by hand in its comments: the billable
weight (real or cubic), the edges of a table's CEP ranges and weight bands, the services without a
table or past their weight limit, the business days of the promise, and an order's quote."""

from datetime import date
from decimal import Decimal

import pytest

from inventory.models import Product
from logistics.models import Box
from logistics.quotes import Parcel, billable_weight, business_days_after, order_parcel, quote, service_option

WEDNESDAY = date(2026, 12, 2)


def parcel(weight, length=10, width=10, height=10):
    """A parcel of `weight` kg; by default a 10 cm cube: 1000 cm³ ÷ 6000 = 0.167 kg cubic, lighter than
    every weight tried below, so the real weight is what is charged."""
    return Parcel(weight_kg=Decimal(weight), length_cm=Decimal(length), width_cm=Decimal(width),
                  height_cm=Decimal(height))


def test_the_cubic_weight_is_charged_when_the_parcel_is_light_for_its_size():
    box = parcel("1.2", 40, 30, 20)
    # 40 × 30 × 20 = 24 000 cm³; ÷ 6000 = 4.000 kg, heavier than the 1.2 kg it weighs.
    assert billable_weight(box, 6000) == Decimal("4.000")
    # The same box where the carrier divides by 5000 (Jadlog): 24 000 ÷ 5000 = 4.8 kg.
    assert billable_weight(box, 5000) == Decimal("4.800")


def test_the_real_weight_is_charged_when_it_is_the_heavier_and_weights_go_to_the_gram():
    # 24 000 cm³ ÷ 6000 = 4 kg cubic, lighter than 5.5 kg real.
    assert billable_weight(parcel("5.5", 40, 30, 20), 6000) == Decimal("5.500")
    # 1000 cm³ ÷ 6000 = 0.16666… kg, to the gram 0.167 (heavier than 0.1 kg real).
    assert billable_weight(parcel("0.1"), 6000) == Decimal("0.167")


@pytest.mark.parametrize("cep,price", [
    ("01000000", Decimal("21.50")),  # the first CEP of São Paulo's range
    ("05999999", Decimal("21.50")),  # its last
    ("00999999", None),  # one below: no row of the table, no option
    ("06000000", None),  # one above
    ("30000000", Decimal("45.10")),  # the first of Minas Gerais's range
    ("39999999", Decimal("45.10")),  # its last
    ("40000000", None),
])
def test_a_cep_is_priced_by_the_range_it_falls_in_edges_included(carriers, cep, price):
    # 0.5 kg, SEDEX's 1 kg band.
    option = service_option(carriers["sedex"], cep=cep, parcel=parcel("0.5"), on=WEDNESDAY)
    assert (option.price if option else None) == price


@pytest.mark.parametrize("weight,price", [
    ("1.000", Decimal("21.50")),  # exactly 1 kg: the 1 kg band
    ("1.001", Decimal("32.90")),  # a gram more: the next band, up to 5 kg
    ("5.000", Decimal("32.90")),
    ("5.001", Decimal("89.00")),  # the 30 kg band
    ("30.000", Decimal("89.00")),  # the heaviest band still takes it
])
def test_a_weight_is_priced_by_the_lightest_band_that_holds_it(carriers, weight, price):
    option = service_option(carriers["sedex"], cep="01310100", parcel=parcel(weight), on=WEDNESDAY)
    assert option.price == price
    assert option.billable_weight_kg == Decimal(weight)


def test_past_the_heaviest_band_the_table_gives_no_option(carriers):
    sedex = carriers["sedex"]
    sedex.max_weight_kg = Decimal("50")  # the service's own limit out of the way: only the table refuses
    assert service_option(sedex, cep="01310100", parcel=parcel("30.001"), on=WEDNESDAY) is None


def test_a_parcel_over_the_services_limit_gets_no_option_even_where_its_table_has_a_band(carriers):
    pac = carriers["pac"]
    pac.max_weight_kg = Decimal("20")
    # 20 kg is within the limit, in the 30 kg band (R$ 61,00); 20.001 kg is over it.
    assert service_option(pac, cep="01310100", parcel=parcel("20"), on=WEDNESDAY).price == Decimal("61.00")
    assert service_option(pac, cep="01310100", parcel=parcel("20.001"), on=WEDNESDAY) is None


def test_a_service_without_a_table_is_free_takes_its_own_days_and_keeps_its_limit(carriers):
    own = carriers["own"]  # the motoboy: no table, 1 day, no handling, up to 10 kg
    option = service_option(own, cep="01310100", parcel=parcel("10"), on=WEDNESDAY)
    # 0 handling + 1 day: Thursday 2026-12-03.
    assert (option.price, option.days, option.promised_on) == (Decimal("0.00"), 1, date(2026, 12, 3))
    assert service_option(own, cep="01310100", parcel=parcel("10.001"), on=WEDNESDAY) is None


@pytest.mark.parametrize("start,days,expected", [
    (date(2026, 12, 2), 0, date(2026, 12, 2)),  # no days: the day itself
    (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday + 1: the weekend skipped, Monday
    (date(2026, 12, 5), 1, date(2026, 12, 7)),  # from a Saturday: Monday
    # Thursday 12-24 + 1: Christmas (Friday 12-25) and the weekend skipped, Monday 12-28.
    (date(2026, 12, 24), 1, date(2026, 12, 28)),
    # + 3: 28, 29, 30. + 5: 28, 29, 30, 31, then New Year's Day (Friday 2027-01-01) and the weekend: Monday 01-04.
    (date(2026, 12, 24), 3, date(2026, 12, 30)),
    (date(2026, 12, 24), 5, date(2027, 1, 4)),
    # Black Awareness Day (Friday 2026-11-20) is national since 2024: Thursday + 1 is Monday 11-23.
    (date(2026, 11, 19), 1, date(2026, 11, 23)),
])
def test_business_days_skip_weekends_and_national_holidays(start, days, expected):
    assert business_days_after(start, days) == expected


def test_the_promise_counts_handling_and_delivery_in_business_days(carriers):
    # SEDEX to São Paulo, 1 kg band: 1 day's handling + 1 day's delivery = 2 business days after
    # Thursday 2026-12-24: Christmas and the weekend skipped, Monday 28 and Tuesday 29.
    option = service_option(carriers["sedex"], cep="01310100", parcel=parcel("0.5"), on=date(2026, 12, 24))
    assert (option.days, option.promised_on) == (2, date(2026, 12, 29))


def test_an_order_is_quoted_by_every_active_service_cheapest_first(consumer_order, carriers, boxes):
    # 2 T-shirts of 0.220 kg and a cap of 0.150 kg: 0.590 kg, of no size; the smallest box, Caixa P
    # (25 × 18 × 8 cm, 0.150 kg), holds them: 0.740 kg. Cubic: 3600 cm³ ÷ 6000 = 0.6 kg (Correios),
    # ÷ 5000 = 0.72 kg (Jadlog): the real 0.740 kg is charged, in the 1 kg bands to São Paulo.
    parcel_of_order = order_parcel(consumer_order)
    assert parcel_of_order == parcel("0.740", 25, 18, 8)
    options = quote(consumer_order, on=WEDNESDAY)
    # Motoboy free (0 + 1 day), Jadlog R$ 14,00 (1 + 3), PAC R$ 15,20 (1 + 4), SEDEX R$ 21,50 (1 + 1).
    assert [(o.service.name, o.price, o.days, o.promised_on) for o in options] == [
        ("Motoboy", Decimal("0.00"), 1, date(2026, 12, 3)),
        (".Package", Decimal("14.00"), 4, date(2026, 12, 8)),
        ("PAC", Decimal("15.20"), 5, date(2026, 12, 9)),
        ("SEDEX", Decimal("21.50"), 2, date(2026, 12, 4)),
    ]
    assert {o.billable_weight_kg for o in options} == {Decimal("0.740")}


def test_an_order_to_a_range_without_the_light_band_takes_the_next_and_switched_off_services_are_not_quoted(
        interstate_consumer_order, carriers, boxes):
    carriers["fleet"].active = False
    carriers["fleet"].save()
    carriers["pac"].active = False
    carriers["pac"].save()
    # 0.740 kg to Belo Horizonte (30130-000): Jadlog's Minas table starts at its 5 kg band (R$ 35,00);
    # SEDEX's 1 kg band there is R$ 45,10.
    options = quote(interstate_consumer_order, on=WEDNESDAY)
    assert [(o.service.name, o.price) for o in options] == [(".Package", Decimal("35.00")),
                                                            ("SEDEX", Decimal("45.10"))]


def test_the_box_chosen_is_the_smallest_by_volume_that_holds_the_items(consumer_order, carriers, boxes):
    shirt, cap = Product.objects.get(sku="CAM-AZ-M"), Product.objects.get(sku="BONE-PT")
    Product.objects.filter(pk=shirt.pk).update(length_cm=30, width_cm=20, height_cm=2)
    Product.objects.filter(pk=cap.pk).update(length_cm=20, width_cm=20, height_cm=10)
    # 2 × 30 × 20 × 2 + 20 × 20 × 10 = 2400 + 4000 = 6400 cm³, the longest side 30 cm.
    # Caixa P (25 × 18 × 8 = 3600 cm³) is too small. Of those that hold them, the envelope (36 × 28 × 8
    # = 8064 cm³) is smaller than Caixa G (40 × 30 × 20 = 24 000) and the cube (32 × 32 × 32 = 32 768),
    # though the cube's first side is shorter; the switched-off crate (31 × 31 × 7 = 6727) is not used.
    envelope = Box.objects.create(name="Envelope", length_cm=36, width_cm=28, height_cm=8, weight_kg=Decimal("0.050"))
    Box.objects.create(name="Cubo", length_cm=32, width_cm=32, height_cm=32, weight_kg=Decimal("0.500"))
    Box.objects.create(name="Caixote", length_cm=31, width_cm=31, height_cm=7, weight_kg=0, active=False)
    chosen = order_parcel(consumer_order)
    # 0.590 kg of items + 0.050 kg of envelope.
    assert chosen == parcel("0.640", 36, 28, 8)
    assert order_parcel(consumer_order, box=envelope) == chosen
    # In Caixa G, chosen by hand: 0.590 + 0.400 = 0.990 kg; cubic for SEDEX 24 000 ÷ 6000 = 4 kg, its
    # 5 kg band to São Paulo, R$ 32,90.
    large = boxes[1]
    assert order_parcel(consumer_order, box=large) == parcel("0.990", 40, 30, 20)
    sedex = next(o for o in quote(consumer_order, box=large, on=WEDNESDAY) if o.service.name == "SEDEX")
    assert (sedex.billable_weight_kg, sedex.price) == (Decimal("4.000"), Decimal("32.90"))


def test_items_no_box_holds_are_quoted_by_their_own_size(consumer_order, carriers, boxes):
    shirt = Product.objects.get(sku="CAM-AZ-M")
    Product.objects.filter(pk=shirt.pk).update(length_cm=60, width_cm=40, height_cm=25)
    # Two of them: 2 × 60 × 40 × 25 = 120 000 cm³, the longest side 60 cm: no box holds that. A cube of
    # 120 000 cm³ has sides of 49.3 cm; the longest side 60 cm is kept: 60 × 49.3 × 49.3 cm, 0.590 kg.
    assert order_parcel(consumer_order) == parcel("0.590", 60, "49.3", "49.3")
