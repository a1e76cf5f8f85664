from django.db import migrations, models
from django.utils.text import slugify


def orders_of_their_integration(apps, schema_editor):
    """Orders the API accepted before belong to the integration of the token that posted them
    (the inbox says its name), so that posting them again still finds them; each token may
    go on posting for the channels it already used."""
    ApiToken = apps.get_model("backoffice", "ApiToken")
    Order = apps.get_model("orders", "Order")
    OrderInbox = apps.get_model("orders", "OrderInbox")
    accepted = OrderInbox.objects.filter(status="accepted", source__startswith="api:", order__isnull=False)
    for source in accepted.values_list("source", flat=True).distinct():
        name = source.removeprefix("api:")
        tokens = ApiToken.objects.filter(name=name)
        integration = tokens.values_list("integration", flat=True).first() or slugify(name)[:50]
        orders = Order.objects.filter(pk__in=accepted.filter(source=source).values("order"))
        orders.update(integration=integration)
        channels = set(orders.values_list("channel", flat=True))
        for token in tokens:
            token.channels = sorted(set(token.channels) | channels)
            token.save(update_fields=["channels"])


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0007_api_token_scope'),
        ('orders', '0010_search_indexes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='order',
            name='order_one_per_channel_external_id',
        ),
        migrations.AddField(
            model_name='order',
            name='integration',
            field=models.CharField(blank=True, default='', max_length=50, verbose_name='integration'),
        ),
        migrations.RunPython(orders_of_their_integration, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('integration', 'channel', 'external_id'), name='order_one_per_integration_channel_external_id'),
        ),
    ]
