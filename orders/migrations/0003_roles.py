"""Orders permissions for the roles."""

from django.db import migrations

from backoffice.roles import grant

VIEW = [f"orders.view_{m}" for m in ("customer", "address", "order", "orderitem", "orderevent", "tag", "city")]
STAFF = [
    *VIEW, "orders.add_customer", "orders.change_customer", "orders.add_address", "orders.change_address",
    "orders.add_order", "orders.change_order", "orders.transition_order", "orders.override_validation",
    "orders.merge_customer",
]


def setup(apps, schema_editor):
    grant(apps, {"staff": STAFF, "manager": VIEW, "finance": ["orders.view_order", "orders.view_customer"], "admin": STAFF})


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_cities"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
