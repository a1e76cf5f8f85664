from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    perms = ["payments.view_receivable", "payments.view_settlementrule", "payments.change_settlementrule",
             "payments.add_settlementrule"]
    grant(apps, {"finance": perms, "admin": perms, "manager": ["payments.view_receivable"]})


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_receivables")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
