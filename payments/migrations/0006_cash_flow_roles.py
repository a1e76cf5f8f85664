from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    finance = ["payments.view_cashentry", "payments.add_cashentry", "payments.change_cashentry",
               "payments.view_refund", "payments.add_refund", "payments.add_payment"]
    grant(apps, {"finance": finance, "admin": finance,
                 "manager": ["payments.view_cashentry", "payments.view_refund"]})


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_refunds_cash_flow_fee_rules")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
