from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from inventory import services
from inventory.models import Movement, State, StockLevel
from inventory.selectors import ledger_drift
from inventory.signals import stock_changed
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_a_receipt_adds_units_and_averages_the_cost(main_warehouse, role_user):
    product = ProductFactory(cost=Decimal("0"))
    services.stock_receive(product=product, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("5.00"),
                           user=role_user("staff"), supplier="Fornecedor A", reference="NF 123")
    services.stock_receive(product=product, warehouse=main_warehouse, quantity=30, unit_cost=Decimal("7.00"),
                           user=None)
    product.refresh_from_db()
    assert product.cost == Decimal("6.50")
    assert level(product, main_warehouse).on_hand == 40
    receipt = Movement.objects.filter(product=product).order_by("pk").first()
    assert ((receipt.kind, receipt.supplier, receipt.reference, receipt.user.username)
            == ("receipt", "Fornecedor A", "NF 123", "staff"))


def test_a_count_adjusts_the_sellable_units_up_or_down_and_a_matching_count_does_nothing(stocked, main_warehouse):
    product = stocked(10)
    down = services.stock_adjust(product=product, warehouse=main_warehouse, counted=7, user=None)
    assert (down.from_state, down.to_state, down.quantity) == (State.SELLABLE, State.OUTSIDE, 3)
    up = services.stock_adjust(product=product, warehouse=main_warehouse, counted=9, user=None)
    assert (up.from_state, up.quantity) == (State.OUTSIDE, 2)
    assert services.stock_adjust(product=product, warehouse=main_warehouse, counted=9, user=None) is None
    assert level(product, main_warehouse).on_hand == 9


def test_a_count_below_the_reserved_units_is_refused_and_changes_nothing(stocked, main_warehouse):
    product = stocked(10)
    services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", product.pk, 8)])
    with pytest.raises(services.InventoryError, match="9 pedidos, mas só há 2"):
        services.stock_adjust(product=product, warehouse=main_warehouse, counted=1, user=None)
    stock = level(product, main_warehouse)
    assert (stock.on_hand, stock.reserved) == (10, 8)
    assert Movement.objects.filter(product=product, kind="adjustment").count() == 0


def test_a_returned_unit_goes_through_quality_control_to_sellable_or_damaged_then_written_off(stocked, main_warehouse):
    product = stocked(5)
    services.stock_return(product=product, warehouse=main_warehouse, quantity=2, user=None, reference="return:9")
    stock = level(product, main_warehouse)
    assert (stock.on_hand, stock.quality_control, stock.available) == (7, 2, 5)
    services.stock_change_state(product=product, warehouse=main_warehouse, quantity=1,
                                from_state=State.QUALITY_CONTROL, to_state=State.SELLABLE, user=None)
    services.stock_change_state(product=product, warehouse=main_warehouse, quantity=1,
                                from_state=State.QUALITY_CONTROL, to_state=State.DAMAGED, user=None)
    services.stock_write_off(product=product, warehouse=main_warehouse, quantity=1, user=None, reason="quebrado")
    stock.refresh_from_db()
    assert (stock.on_hand, stock.quality_control, stock.damaged, stock.available) == (6, 0, 0, 6)
    assert ledger_drift() == []


def test_moving_more_units_than_a_state_holds_is_refused(stocked, main_warehouse):
    product = stocked(5)
    with pytest.raises(services.InventoryError, match="só há 0"):
        services.stock_write_off(product=product, warehouse=main_warehouse, quantity=1, user=None, reason="x")
    with pytest.raises(services.InventoryError):
        services.stock_change_state(product=product, warehouse=main_warehouse, quantity=6,
                                    from_state=State.SELLABLE, to_state=State.SAFETY, user=None)
    with pytest.raises(services.InventoryError, match="colocar ou tirar unidades"):
        services.stock_change_state(product=product, warehouse=main_warehouse, quantity=1,
                                    from_state=State.SELLABLE, to_state=State.OUTSIDE, user=None)
    assert level(product, main_warehouse).on_hand == 5


def test_safety_stock_is_held_back_from_sale(stocked, main_warehouse):
    product = stocked(5)
    services.stock_change_state(product=product, warehouse=main_warehouse, quantity=3,
                                from_state=State.SELLABLE, to_state=State.SAFETY, user=None)
    with pytest.raises(services.InsufficientStock):
        services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", product.pk, 3)])
    assert level(product, main_warehouse).available == 2


def test_a_transfer_writes_two_linked_rows(stocked, main_warehouse, second_warehouse):
    product = stocked(10)
    out, into = services.stock_transfer(product=product, source=main_warehouse, destination=second_warehouse,
                                        quantity=4, user=None)
    assert into.transfer_pair == out
    assert (out.kind, into.kind) == ("transfer_out", "transfer_in")
    assert level(product, main_warehouse).on_hand == 6
    assert level(product, second_warehouse).on_hand == 4
    with pytest.raises(services.InventoryError):
        services.stock_transfer(product=product, source=main_warehouse, destination=second_warehouse,
                                quantity=7, user=None)
    assert level(product, second_warehouse).on_hand == 4


@pytest.mark.parametrize("quantity", [0, -1, None])
def test_a_quantity_must_be_positive(stocked, main_warehouse, quantity):
    product = stocked(1)
    with pytest.raises(services.InventoryError, match="maior que zero"):
        services.stock_write_off(product=product, warehouse=main_warehouse, quantity=quantity, user=None, reason="x")


def test_the_database_refuses_negative_or_oversold_levels(stocked, main_warehouse):
    product = stocked(3)
    for change in ({"on_hand": -1}, {"reserved": 4}, {"damaged": 2, "safety": 2}):
        with pytest.raises(IntegrityError), transaction.atomic():
            StockLevel.objects.filter(product=product).update(**change)


def test_the_ledger_is_append_only(stocked):
    movement = Movement.objects.filter(product=stocked(1)).get()
    with pytest.raises(PermissionError):
        movement.save()
    with pytest.raises(PermissionError):
        movement.delete()


def test_stock_changed_is_sent_after_commit_with_the_new_available(stocked, main_warehouse,
                                                                   django_capture_on_commit_callbacks):
    product = stocked(10)
    received = []

    def listener(sender, **kwargs):
        received.append((kwargs["sku"], kwargs["warehouse"], kwargs["available"]))

    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.stock_reserve(reference="order:1", lines=[services.ReservationLine("1", product.pk, 4)])
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
    finally:
        stock_changed.disconnect(listener)
    assert received == [(product.sku, main_warehouse.code, 6)]


@pytest.mark.parametrize("language, kind", [("en", "receipt"), ("pt-br", "entrada")])
def test_a_receipt_says_what_it_is_by_its_kind_in_the_readers_language(main_warehouse, language, kind):
    with translation.override("pt-br" if language == "en" else "en"):  # written in the other language
        movement = services.stock_receive(product=ProductFactory(), warehouse=main_warehouse, quantity=2,
                                          unit_cost=Decimal("5.00"), user=None)
    movement.refresh_from_db()
    assert movement.reason == ""  # nothing frozen in the writer's language
    with translation.override(language):
        assert movement.get_kind_display() == kind
