"""The order search finds the orders containing a SKU typed in any case, by its first characters."""

from django.db import migrations

SKU_INDEX = "inventory_product_sku_upper_prefix"


def sku_prefix_index(apps, schema_editor):
    """On PostgreSQL, `UPPER(sku) LIKE '…%'` through a btree of text_pattern_ops; SQLite scans."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {SKU_INDEX} ON inventory_product "
                              "((upper(sku::text)) text_pattern_ops)")
        schema_editor.execute("ANALYZE inventory_product")


def drop_sku_prefix_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {SKU_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0004_reservation_indexes_its_reads_need"),
    ]

    operations = [
        migrations.RunPython(sku_prefix_index, drop_sku_prefix_index),
    ]
