"""The order and customer search ignores accents and finds e-mails and SKUs: customers' names
through a trigram index of their folded form (backoffice.search's expression), e-mails by their
beginning, the orders containing a product through an index of the items by (product, order)."""

import django.db.models.deletion
from django.db import migrations, models

OLD_NAME_INDEX = "orders_customer_name_trgm"
NAME_INDEX = "orders_customer_name_folded_trgm"
EMAIL_INDEX = "orders_customer_email_upper_prefix"


def search_indexes(apps, schema_editor):
    """On PostgreSQL, `UPPER(f_unaccent(name)) LIKE '%…%'` through a trigram index (in place of
    the one on upper(name)), and `UPPER(email) LIKE '…%'` through a btree of text_pattern_ops
    (the database's collation is not C, so a plain btree cannot take a prefix); SQLite scans."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_NAME_INDEX}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON orders_customer "
                          "USING gin ((upper(f_unaccent(name))) gin_trgm_ops)")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {EMAIL_INDEX} ON orders_customer "
                          "((upper(email::text)) text_pattern_ops)")
    # The planner's statistics of the indexed expressions, without which it takes every name
    # search for a rare one.
    schema_editor.execute("ANALYZE orders_customer")


def old_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {EMAIL_INDEX}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {OLD_NAME_INDEX} ON orders_customer "
                          "USING gin ((upper(name::text)) gin_trgm_ops)")
    schema_editor.execute("ANALYZE orders_customer")


class Migration(migrations.Migration):

    dependencies = [
        ("backoffice", "0012_unaccent"),
        ("inventory", "0005_sku_prefix_index"),
        ("orders", "0017_order_refunded_amount"),
    ]

    operations = [
        migrations.RunPython(search_indexes, old_search_indexes),
        # In place of the product's own index, which the new one's first column serves.
        migrations.AddIndex(
            model_name="orderitem",
            index=models.Index(fields=["product", "order"], name="orderitem_product_order"),
        ),
        migrations.AlterField(
            model_name="orderitem",
            name="product",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="inventory.product", verbose_name="product"),
        ),
    ]
