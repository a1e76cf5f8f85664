"""On PostgreSQL order numbers come from a sequence, so intakes no longer wait for each
other on the counter row; it goes on after the highest number given so far. SQLite keeps
its counter row (one writer at a time)."""

from django.db import migrations

CREATE = """
CREATE SEQUENCE orders_order_number OWNED BY orders_order.number;
SELECT setval('orders_order_number', GREATEST(
    (SELECT coalesce(max(number), 0) FROM orders_order),
    (SELECT coalesce(max(value), 0) FROM orders_counter WHERE name = 'order')
) + 1, false);
"""
# Back to the counter row: it goes on after the sequence's numbers.
DROP = """
INSERT INTO orders_counter (name, value) VALUES ('order', (SELECT coalesce(max(number), 0) FROM orders_order))
    ON CONFLICT (name) DO UPDATE SET value = GREATEST(orders_counter.value, EXCLUDED.value);
DROP SEQUENCE orders_order_number;
"""


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("orders", "0012_separation_of_duties")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
