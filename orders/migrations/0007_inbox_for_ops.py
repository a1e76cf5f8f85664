from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    grant(apps, {"ops": ["orders.view_orderinbox"], "admin": ["orders.view_orderinbox", "backoffice.view_apitoken",
                                                               "backoffice.change_apitoken"]})


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_order_inbox"), ("backoffice", "0005_saved_filter")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
