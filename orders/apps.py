from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from django.core import checks

        from backoffice.api import register_api_channels
        from backoffice.imports import register_importer
        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav
        from backoffice.references import register_reference
        from backoffice.worklist import WorkSource, register_work

        from . import metrics, selectors
        from .importers import OrderImporter
        from .models import Channel
        from .providers import cep_lookup_check
        from .work import order_work

        checks.register(cep_lookup_check)
        register_api_channels(Channel.choices)
        register_reference("order", selectors.order_links)
        register_importer(OrderImporter())
        register_metrics(*metrics.METRICS)
        section = _("Orders")
        register_nav(
            NavItem(_("Orders"), "orders:order_list", "receipt", "orders.view_order", section, 40),
            NavItem(_("New order"), "orders:order_new", "cart-plus", "orders.add_order", section, 40),
            NavItem(_("Customers"), "orders:customer_list", "people", "orders.view_customer", section, 40),
            NavItem(_("Satisfaction (NPS)"), "orders:survey_list", "emoji-smile", "orders.view_surveyanswer", section,
                    40),
        )
        register_periodic_job(PeriodicJob(
            name="orders.process_waiting_inbox",
            task="orders.tasks.process_waiting_inbox",
            description=_("Processes the orders posted to the API that waited more than five minutes (their "
                          "request could not, and their task was not queued)."),
            every_seconds=300,
        ))
        # Counted for those who move orders along (staff), not for those who only read them.
        register_work(WorkSource("orders.transition_order", order_work, section, 40))
