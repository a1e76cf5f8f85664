from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    grant(apps, {role: ["orders.view_surveyanswer"] for role in ("staff", "manager", "admin")})


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_survey_answer")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
