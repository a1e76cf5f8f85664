"""Payments permissions: finance works with payments; ops watches the webhook inbox."""

from django.db import migrations

from backoffice.roles import grant

FINANCE = [
    "payments.view_payment", "payments.view_paymentevent", "payments.view_webhookevent", "payments.replay_webhookevent",
    "payments.view_provideraccount", "payments.add_provideraccount", "payments.change_provideraccount",
]


def setup(apps, schema_editor):
    grant(apps, {
        "finance": FINANCE,
        "manager": ["payments.view_payment", "payments.view_paymentevent"],
        "ops": ["payments.view_webhookevent", "payments.replay_webhookevent"],
        "admin": FINANCE,
    })


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
