# A reservation row keeps only the indexes its reads use (written on every order).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0003_ledger_append_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='reservation',
            name='level',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='reservations', to='inventory.stocklevel', verbose_name='stock level'),
        ),
        migrations.AlterField(
            model_name='reservation',
            name='reference',
            field=models.CharField(max_length=100, verbose_name='reference'),
        ),
    ]
