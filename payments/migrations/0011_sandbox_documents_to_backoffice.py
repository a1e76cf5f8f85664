"""The sandbox documents move to the integration kit's model (backoffice.SandboxDocument), in their
order (a sandbox lists a kind's documents by pk), then the payments table goes; reversed, they move
back."""

from django.db import migrations

FIELDS = ("provider", "kind", "key", "document")
BATCH = 500


def _move(source, target):
    batch = []
    for values in source.objects.order_by("pk").values_list(*FIELDS).iterator(chunk_size=BATCH):
        batch.append(target(**dict(zip(FIELDS, values, strict=True))))
        if len(batch) == BATCH:
            target.objects.bulk_create(batch)
            batch = []
    target.objects.bulk_create(batch)
    source.objects.all().delete()


def forwards(apps, schema_editor):
    _move(apps.get_model("payments", "SandboxDocument"), apps.get_model("backoffice", "SandboxDocument"))


def backwards(apps, schema_editor):
    _move(apps.get_model("backoffice", "SandboxDocument"), apps.get_model("payments", "SandboxDocument"))


class Migration(migrations.Migration):

    dependencies = [
        ('backoffice', '0010_sandbox_document'),
        ('payments', '0010_provider_choices_from_registry'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(
            name='SandboxDocument',
        ),
    ]
