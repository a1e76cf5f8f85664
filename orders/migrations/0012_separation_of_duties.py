"""Overriding the validation checks is a manager's act: taken from staff, given to managers
(admins keep it)."""

from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    grant(apps, {"manager": ["orders.override_validation"]})
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    override = Permission.objects.get(content_type__app_label="orders", codename="override_validation")
    for staff in Group.objects.filter(name="staff"):
        staff.permissions.remove(override)


class Migration(migrations.Migration):
    dependencies = [("orders", "0011_order_integration")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
