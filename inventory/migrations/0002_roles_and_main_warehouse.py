"""Inventory permissions for the roles, and the first warehouse (a store has at least one)."""

from django.db import migrations

from backoffice.roles import grant

VIEW = [f"inventory.view_{m}" for m in ("product", "warehouse", "stocklevel", "movement", "reservation", "reorderalert")]
STAFF = [*VIEW, "inventory.add_product", "inventory.change_product", "inventory.receive_stock",
         "inventory.adjust_stock", "inventory.import_catalog"]


def setup(apps, schema_editor):
    grant(apps, {
        "staff": STAFF,
        "manager": VIEW,
        "admin": [*STAFF, "inventory.add_warehouse", "inventory.change_warehouse"],
    })
    Warehouse = apps.get_model("inventory", "Warehouse")
    if not Warehouse.objects.exists():
        Warehouse.objects.create(code="principal", name="Depósito principal", priority=1)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
