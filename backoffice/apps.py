from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "backoffice"
    verbose_name = _("Platform")

    def ready(self):
        from . import receivers, search, tasks
        from .celery import app as celery_app
        from .integrations.credentials import credentials_keys_check
        from .jobs import PeriodicJob, periodic_jobs_install, register_periodic_job
        from .navigation import NavItem, register_nav
        from .work import heartbeat_work, job_work
        from .worklist import WorkSource, register_work

        checks.register(credentials_keys_check, checks.Tags.security)
        register_nav(
            NavItem(_("Home"), "home", "house", order=0),
            NavItem(_("Jobs"), "jobs", "clock-history", "django_celery_beat.view_periodictask", _("Operations"), 90),
            NavItem(_("Health"), "health", "heart-pulse", "backoffice.view_health", _("Operations"), 90),
            NavItem(_("Audit log"), "audit_list", "journal-text", "backoffice.view_auditevent", _("Administration"),
                    95),
        )

        register_periodic_job(
            PeriodicJob(
                name="heartbeat",
                task=tasks.heartbeat.name,
                description=_("Proves that beat schedules jobs and a worker runs them (shown on the health page)."),
                every_seconds=60,
            )
        )
        register_periodic_job(
            PeriodicJob(
                name="backoffice.process_waiting_imports",
                task=tasks.process_waiting_imports.name,
                description=_("Processes the spreadsheet imports that waited more than five minutes (uploaded "
                              "while the broker was down)."),
                every_seconds=300,
            )
        )
        # Every app's tasks, registered in this process as in a worker: services queue them by name.
        celery_app.autodiscover_tasks(force=True)
        post_migrate.connect(periodic_jobs_install, sender=self)
        receivers.connect()
        search.connect()
        register_work(WorkSource("backoffice.run_job", job_work, _("Operations"), 90))
        register_work(WorkSource("backoffice.view_health", heartbeat_work, _("Operations"), 90))
