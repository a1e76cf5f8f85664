from django.db import migrations, models
from django.db.models import F
from django.utils.text import slugify


def rows_of_their_integration(apps, schema_editor):
    """Rows kept before belong to the integration of the token that posted them (their source
    says its name, as migration 0011 read it): a row left waiting is processed for it, and its
    integration's tokens may look at it. Processed rows count as processed when received."""
    ApiToken = apps.get_model("backoffice", "ApiToken")
    OrderInbox = apps.get_model("orders", "OrderInbox")
    for source in OrderInbox.objects.filter(source__startswith="api:").values_list("source", flat=True).distinct():
        name = source.removeprefix("api:")
        integration = ApiToken.objects.filter(name=name).values_list("integration", flat=True).first()
        OrderInbox.objects.filter(source=source).update(integration=integration or slugify(name)[:50])
    OrderInbox.objects.exclude(status="received").update(processed_at=F("received_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0007_api_token_scope'),
        ('orders', '0013_order_number_sequence'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderinbox',
            name='integration',
            field=models.CharField(blank=True, default='', max_length=50, verbose_name='integration'),
        ),
        migrations.AddField(
            model_name='orderinbox',
            name='processed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='processed'),
        ),
        migrations.AlterField(
            model_name='orderinbox',
            name='status',
            field=models.CharField(choices=[('received', 'received'), ('accepted', 'accepted'), ('rejected', 'rejected'), ('failed', 'failed')], default='received', max_length=10, verbose_name='status'),
        ),
        migrations.RunPython(rows_of_their_integration, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='orderinbox',
            index=models.Index(condition=models.Q(('status', 'received')), fields=['received_at'], name='orderinbox_waiting'),
        ),
    ]
