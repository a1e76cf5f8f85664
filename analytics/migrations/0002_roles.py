from django.db import migrations

from backoffice.roles import grant


def setup(apps, schema_editor):
    # The managers' pages: the dashboards, the goals they set and the reports they schedule; the other
    # roles find their figures on their home page.
    managers = ["analytics.view_dashboard", "analytics.view_goal", "analytics.add_goal", "analytics.change_goal",
                "analytics.delete_goal", "analytics.view_scheduledreport", "analytics.add_scheduledreport",
                "analytics.change_scheduledreport", "analytics.delete_scheduledreport", "analytics.view_reportrun"]
    grant(apps, {"manager": managers, "admin": managers})


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
