"""Provider accounts keep their credentials in one encrypted field (each provider declares
which), where one column per secret held them in clear."""

from django.db import migrations

import backoffice.fields

# Where each provider's credentials were: credential name -> old column.
COLUMNS = {
    "mercadopago": {"access_token": "access_token", "webhook_secret": "webhook_secret"},
    "pagbank": {"access_token": "access_token"},
    "paypal": {"client_id": "client_id", "client_secret": "access_token", "webhook_id": "webhook_id"},
}
OLD_COLUMNS = ("client_id", "access_token", "webhook_secret", "webhook_id")


def columns_to_credentials(apps, schema_editor):
    for account in apps.get_model("payments", "ProviderAccount").objects.all():
        account.credentials = {name: getattr(account, column)
                               for name, column in COLUMNS.get(account.provider, {}).items() if getattr(account, column)}
        account.save(update_fields=["credentials"])


def credentials_to_columns(apps, schema_editor):
    for account in apps.get_model("payments", "ProviderAccount").objects.all():
        for name, column in COLUMNS.get(account.provider, {}).items():
            setattr(account, column, account.credentials.get(name, ""))
        account.save(update_fields=OLD_COLUMNS)


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0012_paymentevent_provider_events'),
    ]

    operations = [
        migrations.AddField(
            model_name='provideraccount',
            name='credentials',
            field=backoffice.fields.EncryptedJSONField(blank=True, default=dict, verbose_name='credentials'),
        ),
        migrations.RunPython(columns_to_credentials, credentials_to_columns),
        *[migrations.RemoveField(model_name='provideraccount', name=column) for column in OLD_COLUMNS],
    ]
