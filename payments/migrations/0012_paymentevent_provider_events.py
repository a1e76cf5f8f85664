"""What the providers said of a payment is its provider_events: its events are its timeline."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0011_sandbox_documents_to_backoffice'),
    ]

    operations = [
        migrations.AlterField(
            model_name='paymentevent',
            name='payment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='provider_events', to='payments.payment', verbose_name='payment'),
        ),
    ]
