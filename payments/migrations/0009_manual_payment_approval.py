"""Payments registered by hand keep who recorded and who approved them; finance and managers
may approve one above what its order is due (never their own)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from backoffice.roles import grant


def setup(apps, schema_editor):
    grant(apps, {role: ["payments.approve_payment"] for role in ("finance", "manager", "admin")})


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0008_webhook_rejected_kept_short'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='payment',
            options={'ordering': ['-created_at', '-pk'], 'permissions': [('approve_payment', 'Can approve a payment registered by hand above what its order is due')], 'verbose_name': 'payment', 'verbose_name_plural': 'payments'},
        ),
        migrations.AddField(
            model_name='payment',
            name='approved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by'),
        ),
        migrations.AddField(
            model_name='payment',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by'),
        ),
        migrations.RunPython(setup, migrations.RunPython.noop),
    ]
