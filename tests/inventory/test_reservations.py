import pytest

from inventory import services
from inventory.models import Movement, Reservation, StockLevel
from inventory.selectors import availability, ledger_drift
from inventory.services import InsufficientStock, ReservationLine

pytestmark = pytest.mark.django_db


def test_an_order_reserves_all_its_lines_or_none(stocked):
    shirt, mug = stocked(5), stocked(1)
    with pytest.raises(InsufficientStock) as refused:
        services.stock_reserve(reference="order:1",
                               lines=[ReservationLine("1", shirt.pk, 2), ReservationLine("2", mug.pk, 3)])
    assert [(s.sku, s.requested, s.available) for s in refused.value.shortages] == [(mug.sku, 3, 1)]
    assert f"{mug.sku}: 3 pedidos, 1 disponíveis" in str(refused.value)
    assert not Reservation.objects.exists()
    assert StockLevel.objects.filter(reserved__gt=0).count() == 0


def test_a_line_takes_from_warehouses_in_priority_order_and_may_split(stocked, main_warehouse, second_warehouse):
    product = stocked(2)
    services.stock_receive(product=product, warehouse=second_warehouse, quantity=5, unit_cost=product.cost, user=None)
    main_warehouse.priority, second_warehouse.priority = 1, 2
    main_warehouse.save(), second_warehouse.save()
    taken = services.stock_reserve(reference="order:1", lines=[ReservationLine("1", product.pk, 4)])
    assert sorted((r.level.warehouse.code, r.quantity) for r in taken) == [("cd2", 2), ("principal", 2)]
    assert availability([product.sku, "NOPE"]) == {product.sku: 3, "NOPE": 0}


def test_a_reservation_can_be_limited_to_one_warehouse(stocked, second_warehouse):
    product = stocked(5)
    with pytest.raises(InsufficientStock):
        services.stock_reserve(reference="order:1", lines=[ReservationLine("1", product.pk, 1)],
                               warehouse=second_warehouse)


def test_reserving_the_same_order_again_changes_nothing(stocked):
    product = stocked(5)
    lines = [ReservationLine("1", product.pk, 2)]
    services.stock_reserve(reference="order:1", lines=lines)
    again = services.stock_reserve(reference="order:1", lines=lines)
    assert len(again) == 1
    assert StockLevel.objects.get(product=product).reserved == 2


def test_cancelling_releases_the_units_once(stocked):
    product = stocked(5)
    services.stock_reserve(reference="order:1", lines=[ReservationLine("1", product.pk, 3)])
    assert services.stock_release(reference="order:1") == 3
    assert services.stock_release(reference="order:1") == 0
    level = StockLevel.objects.get(product=product)
    assert (level.on_hand, level.reserved, level.available) == (5, 0, 5)
    assert Reservation.objects.get().status == "released"


def test_shipping_consumes_the_reservation_into_a_sale_row_once(stocked, role_user):
    product = stocked(5)
    services.stock_reserve(reference="order:7", lines=[ReservationLine("1", product.pk, 2)])
    sold = services.stock_consume(reference="order:7", user=role_user("staff"))
    assert [(m.kind, m.quantity, m.reference) for m in sold] == [("sale", 2, "order:7")]
    assert services.stock_consume(reference="order:7") == []
    level = StockLevel.objects.get(product=product)
    assert (level.on_hand, level.reserved, level.available) == (3, 0, 3)
    assert Movement.objects.filter(kind="sale").count() == 1
    assert ledger_drift() == []


def test_releasing_some_lines_keeps_the_others(stocked):
    a, b = stocked(5), stocked(5)
    services.stock_reserve(reference="order:1", lines=[ReservationLine("1", a.pk, 1), ReservationLine("2", b.pk, 1)])
    services.stock_release(reference="order:1", lines=["1"])
    assert list(Reservation.objects.filter(status="active").values_list("line", flat=True)) == ["2"]


@pytest.mark.parametrize("quantity", [0, -1, None, 1_000_001])
def test_a_line_with_an_impossible_quantity_is_refused(stocked, quantity):
    product = stocked(5)
    with pytest.raises(services.InventoryError, match="entre 1 e 1000000"):
        services.stock_reserve(reference="order:1", lines=[ReservationLine("1", product.pk, quantity)])


def test_repeated_lines_unknown_and_inactive_products_are_refused(stocked):
    product, old = stocked(5), stocked(5, sku="OLD-1", active=False)
    with pytest.raises(services.InventoryError, match="Linha 1 aparece duas vezes"):
        services.stock_reserve(reference="o:1",
                               lines=[ReservationLine("1", product.pk, 1), ReservationLine("1", product.pk, 1)])
    with pytest.raises(services.InventoryError, match="Produto desconhecido: 999999"):
        services.stock_reserve(reference="o:1", lines=[ReservationLine("1", 999999, 1)])
    with pytest.raises(services.InventoryError, match="Produtos inativos não podem ser vendidos: OLD-1"):
        services.stock_reserve(reference="o:1", lines=[ReservationLine("1", old.pk, 1)])
    assert availability(["OLD-1"]) == {"OLD-1": 0}
    assert not Reservation.objects.exists()
