"""Who may register a payment by hand (a Pix or a transfer seen in the bank): finance, and
staff for now, since small stores' staff confirm such payments; admins can take it away
from the staff group."""

from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    grant(apps, {role: ["orders.register_payment"] for role in ("staff", "finance", "admin")})


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_register_payment")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
