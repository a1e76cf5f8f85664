"""The roles as Django groups, with the platform's permissions. Later apps grant theirs
in their own data migrations with `backoffice.roles.grant`."""

from django.db import migrations

from backoffice.roles import grant

SCHEDULES = ("periodictask", "intervalschedule", "crontabschedule", "solarschedule", "clockedschedule")
JOBS = [f"django_celery_beat.{verb}_{model}" for model in SCHEDULES for verb in ("view", "add", "change", "delete")]
OPS = [*JOBS, "django_celery_results.view_taskresult", "backoffice.view_health", "backoffice.run_job"]
USERS = [f"auth.{verb}_{model}" for model in ("user", "group") for verb in ("view", "add", "change")]


def create_roles(apps, schema_editor):
    grant(
        apps,
        {
            "staff": [],
            "finance": [],
            "manager": [],
            "ops": OPS,
            "admin": [*OPS, *USERS, "backoffice.view_auditevent"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("django_celery_results", "0014_alter_taskresult_status"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
