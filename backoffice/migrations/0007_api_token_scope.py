from django.db import migrations, models
from django.utils.text import slugify


def scope_existing_tokens(apps, schema_editor):
    """Tokens from before: their integration is their name as a slug, and they may post for
    the web store only (orders' migration 0011 adds the channels each one already used)."""
    ApiToken = apps.get_model("backoffice", "ApiToken")
    for token in ApiToken.objects.all():
        token.integration = slugify(token.name)[:50] or f"token-{token.pk}"
        token.channels = ["web"]
        token.save(update_fields=["integration", "channels"])


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0006_admin_unlocks_logins'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='channels',
            field=models.JSONField(default=list, verbose_name='channels'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='integration',
            field=models.SlugField(default='', verbose_name='integration'),
            preserve_default=False,
        ),
        migrations.RunPython(scope_existing_tokens, migrations.RunPython.noop),
    ]
