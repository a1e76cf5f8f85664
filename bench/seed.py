"""A realistic store at a chosen scale, written by PostgreSQL itself (INSERT … SELECT over
generate_series): customers with an address each, products, orders of 1–3 items spread over
two years with the pipeline's usual mix of statuses and channels, and each order's first
timeline row. Every amount adds up as the models' check constraints require.

The rows are bench data: names, CPFs and addresses are made up (the CPFs do not pass the
check digits; the screens only show them)."""

import time
from decimal import Decimal

PRODUCTS = 400
ORDERS_PER_CUSTOMER = 5
FIRST_NAMES = ["Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João",
               "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael", "Sabrina", "Thiago", "Vanessa", "William"]
LAST_NAMES = ["Almeida", "Barbosa", "Cardoso", "Dias", "Esteves", "Ferreira", "Gomes", "Hashimoto", "Ibrahim",
              "Jesus", "Lima", "Moreira", "Nogueira", "Oliveira", "Pereira", "Queiroz", "Ribeiro", "Santos",
              "Teixeira", "Vieira"]

# (status, share of orders in %), oldest orders are mostly closed; the cumulative bounds below
# are taken on a hash of the order's index so every status is spread over the whole period.
STATUSES = [("new", 2), ("awaiting_payment", 4), ("paid", 3), ("ready_to_ship", 3), ("invoiced", 2), ("shipped", 6),
            ("delivered", 50), ("closed", 20), ("cancelled", 7), ("returned", 3)]
PAID_STATUSES = ("paid", "ready_to_ship", "invoiced", "shipped", "delivered", "closed", "returned")
CHANNELS = [("web", 45), ("mercadolivre", 20), ("shopee", 10), ("amazon", 8), ("magalu", 7), ("phone", 5),
            ("manual", 5)]
MARKETPLACES = ("mercadolivre", "shopee", "amazon", "magalu")


def _case(expression: str, shares: list[tuple[str, int]]) -> str:
    """SQL choosing a value by `expression` (0–99) and the cumulative shares."""
    bound, whens = 0, []
    for value, share in shares:
        bound += share
        whens.append(f"WHEN {expression} < {bound} THEN '{value}'")
    assert bound == 100, shares
    return "CASE " + " ".join(whens) + " END"


def _text_array(values) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def seeded_orders() -> int:
    from orders.models import Order

    return Order.objects.count()


def seed(orders: int, *, out=print) -> float:
    """Add `orders` orders (and their customers, and the products if missing); seconds taken."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from inventory.models import Product
    from orders.models import Order
    from orders.services import ORDER_NUMBERS

    began = time.perf_counter()
    customers = max(1, orders // ORDERS_PER_CUSTOMER)
    if Product.objects.filter(sku__startswith="BENCH-").count() < PRODUCTS:
        Product.objects.bulk_create(
            [Product(sku=f"BENCH-{n:04d}", name=f"Camiseta modelo {n}", ncm="61091000",
                     price=Decimal(19 + n % 180) + Decimal("0.90"), cost=Decimal(9 + n % 90))
             for n in range(PRODUCTS)],
            ignore_conflicts=True,
        )
    first, last = _text_array(FIRST_NAMES), _text_array(LAST_NAMES)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT coalesce(max(id), 0) FROM orders_customer")
        customer_base = cursor.fetchone()[0]
        # The new orders' numbers: a block of the sequence intakes number orders from.
        cursor.execute("SELECT nextval(%s)", [ORDER_NUMBERS])
        number_base = cursor.fetchone()[0] - 1
        cursor.execute("SELECT setval(%s, %s)", [ORDER_NUMBERS, number_base + int(orders)])

        out(f"  seeding {customers:,} customers with an address each …")
        cursor.execute(f"""
            INSERT INTO orders_customer (id, kind, name, document, state_registration, email, phone, blocked, notes,
                                         created_at, updated_at)
            SELECT {customer_base} + i, 'person',
                   ({first})[1 + i % 20] || ' ' || ({last})[1 + (i / 20) % 20] || ' ' || ({last})[1 + (i / 400) % 20],
                   lpad(({customer_base} + i)::text, 11, '0'), '', 'cliente' || ({customer_base} + i) || '@example.com',
                   '11 9' || lpad((i % 100000000)::text, 8, '0'), false, '', now(), now()
            FROM generate_series(1, {int(customers)}) AS i""")
        cursor.execute("SELECT setval(pg_get_serial_sequence('orders_customer', 'id'), "
                       "(SELECT max(id) FROM orders_customer))")
        cursor.execute("""
            CREATE TEMP TABLE bench_city ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY code) AS n, code, name, uf FROM orders_city""")
        cursor.execute("SELECT count(*) FROM bench_city")
        cities = cursor.fetchone()[0]
        cursor.execute(f"""
            INSERT INTO orders_address (customer_id, recipient, cep, street, number, complement, district, city_id,
                                        is_default)
            SELECT c.id, c.name, lpad(((c.id * 7919) % 99999999)::text, 8, '0'), 'Rua das Flores', (c.id % 2000)::text,
                   '', 'Centro', city.code, true
            FROM orders_customer c JOIN bench_city city ON city.n = 1 + (c.id * 31) % {cities}
            WHERE c.id > {customer_base}""")

        out(f"  seeding {orders:,} orders with 1–3 items each …")
        cursor.execute("""
            CREATE TEMP TABLE bench_product ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, sku, name, price FROM inventory_product
            WHERE sku LIKE 'BENCH-%'""")
        cursor.execute(f"""
            CREATE TEMP TABLE bench_item ON COMMIT DROP AS
            SELECT o.i, p.id AS product_id, p.sku, p.name, 1 + (o.i + j) % 2 AS quantity, p.price
            FROM generate_series(1, {int(orders)}) AS o(i)
            CROSS JOIN LATERAL generate_series(1, 1 + (o.i * 7) % 3) AS j
            JOIN bench_product p ON p.n = (o.i * 13 + j * 101) % {PRODUCTS}""")
        status = _case("((i::bigint * 2654435761) % 100)", STATUSES)
        channel = _case("((i::bigint * 40503) % 100)", CHANNELS)
        paid = ", ".join(f"'{s}'" for s in PAID_STATUSES)
        marketplaces = ", ".join(f"'{m}'" for m in MARKETPLACES)
        cursor.execute(f"""
            CREATE TEMP TABLE bench_order ON COMMIT DROP AS
            SELECT t.i, {status} AS status, {channel} AS channel, t.items_total,
                   CASE WHEN t.i % 10 = 0 THEN 15.90 ELSE 0 END AS shipping_total,
                   {customer_base} + 1 + (t.i * 7) % {customers} AS customer_id,
                   now() - make_interval(secs => ({int(orders)} - t.i) * (63072000.0 / {int(orders)})) AS placed_at
            FROM (SELECT i, sum(quantity * price) AS items_total FROM bench_item GROUP BY i) AS t""")
        cursor.execute(f"""
            INSERT INTO orders_order (number, channel, external_id, integration, customer_id, status, hold,
                validation_failures, ship_recipient, ship_cep, ship_street, ship_number, ship_complement,
                ship_district, ship_city_code, ship_city_name, ship_uf, items_total, discount_total, shipping_total,
                total, paid_amount, refunded_amount, notes, placed_at, created_at, updated_at)
            SELECT {number_base} + o.i, o.channel,
                   CASE WHEN o.channel IN ({marketplaces}) THEN 'BENCH' || ({number_base} + o.i) ELSE '' END, '',
                   o.customer_id, o.status, '{{}}'::jsonb, '[]'::jsonb, a.recipient, a.cep, a.street, a.number, '',
                   a.district,
                   city.code, city.name, city.uf, o.items_total, 0, o.shipping_total, o.items_total + o.shipping_total,
                   CASE WHEN o.status IN ({paid}) THEN o.items_total + o.shipping_total ELSE 0 END, 0,
                   '', o.placed_at, o.placed_at, o.placed_at
            FROM bench_order o
            JOIN orders_address a ON a.customer_id = o.customer_id
            JOIN orders_city city ON city.code = a.city_id""")
        cursor.execute(f"""
            INSERT INTO orders_orderitem (order_id, product_id, sku, name, quantity, unit_price, discount, total)
            SELECT ord.id, it.product_id, it.sku, it.name, it.quantity, it.price, 0, it.quantity * it.price
            FROM bench_item it JOIN orders_order ord ON ord.number = {number_base} + it.i""")
        # Each order's first timeline row: the move to its status (backoffice.states' code for it).
        cursor.execute(f"""
            INSERT INTO backoffice_timelineevent (content_type_id, object_id, created_at, code, params, from_status,
                                                  to_status)
            SELECT %s, id, placed_at, 'order.' || status, '{{}}'::jsonb, '', status FROM orders_order
            WHERE number > {number_base}""", [ContentType.objects.get_for_model(Order).pk])
    out("  analyzing …")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - began
