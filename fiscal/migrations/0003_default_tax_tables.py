from django.db import migrations

from fiscal import defaults


def load(apps, schema_editor):
    defaults.load(tax_rule_model=apps.get_model("fiscal", "TaxRule"),
                  state_rate_model=apps.get_model("fiscal", "StateTaxRate"))


class Migration(migrations.Migration):
    dependencies = [("fiscal", "0002_roles")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
