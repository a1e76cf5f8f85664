"""The admin role unlocks logins: sees and deletes django-axes' access attempts in the Django admin."""

from django.db import migrations

from backoffice.roles import grant


def grant_unlock(apps, schema_editor):
    grant(apps, {"admin": ["axes.view_accessattempt", "axes.delete_accessattempt"]})


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0005_saved_filter"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_unlock, migrations.RunPython.noop)]
