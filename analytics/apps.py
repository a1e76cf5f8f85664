"""Rollups, the store website's access events, dashboards and goals: what every other app declares
in backoffice.metrics, kept current and read here. Analytics only reads the other apps' tables."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav
        from backoffice.worklist import WorkSource, register_work

        from . import receivers, rollups
        from .margin import MARGIN_METRICS
        from .site import SITE_METRICS
        from .work import manager_work

        register_metrics(*SITE_METRICS, *MARGIN_METRICS)
        # Last of the apps: every rollup is declared by now.
        receivers.connect()
        section = _("Analytics")
        register_nav(NavItem(_("Dashboards"), "analytics:dashboard", "speedometer2", "analytics.view_dashboard",
                             section, 30),
                     NavItem(_("Goals"), "analytics:goals", "bullseye", "analytics.view_goal", section, 30),
                     NavItem(_("Scheduled reports"), "analytics:reports", "envelope-paper",
                             "analytics.view_scheduledreport", section, 30))
        register_work(WorkSource("analytics.view_dashboard", manager_work, _("Sales"), order=10))
        for job in (
            PeriodicJob(name="analytics.refresh", task="analytics.tasks.refresh",
                        description=_("Recomputes the dashboards' figures of the days whose orders, payments or "
                                      "other counted rows changed."),
                        every_seconds=rollups.REFRESH_SECONDS),
            PeriodicJob(name="analytics.email_goals", task="analytics.tasks.email_goals",
                        description=_("E-mails the managers how this week's goals stand, once a week."),
                        crontab="0 8 * * 1"),
            PeriodicJob(name="analytics.send_scheduled_reports", task="analytics.tasks.send_scheduled_reports",
                        description=_("E-mails the scheduled reports whose hour has come, each once."),
                        crontab="*/15 * * * *"),
        ):
            register_periodic_job(job)
