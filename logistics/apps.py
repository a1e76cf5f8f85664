"""Carriers, freight quotes, shipments, tracking and returns."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        from backoffice.imports import register_importer
        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav
        from backoffice.notices import NoticeSource, register_notices
        from backoffice.worklist import WorkSource, register_work
        from orders.panels import OrderPanel, register_order_panel

        from . import metrics
        from .importers import FreightRateImporter
        from .promise_views import promise_notices
        from .return_views import order_returns_panel
        from .views import order_logistics_panel
        from .work import late_work, refund_work

        section = _("Logistics")
        register_nav(
            NavItem(_("Picking"), "logistics:picking", "list-check", "logistics.view_shipment", section, 45),
            NavItem(_("Parcels"), "logistics:shipment_list", "box-seam", "logistics.view_shipment", section, 45),
            NavItem(_("Late and at-risk parcels"), "logistics:late", "hourglass-split", "logistics.view_shipment",
                    section, 45),
            NavItem(_("Returns"), "logistics:return_list", "arrow-return-left", "logistics.view_returnrequest",
                    section, 45),
            NavItem(_("Carriers"), "logistics:carrier_list", "truck", "logistics.view_carrier", section, 45),
            NavItem(_("Carrier notifications"), "logistics:notification_list", "broadcast",
                    "logistics.view_carriernotification", section, 45),
        )
        # After the fiscal panel: a parcel leaves with its NF-e.
        register_order_panel(OrderPanel("logistics/partials/order_panel.html", "logistics.view_shipment",
                                        order_logistics_panel, order=70))
        register_order_panel(OrderPanel("logistics/partials/return_panel.html", "logistics.view_returnrequest",
                                        order_returns_panel, order=75))
        register_notices(NoticeSource("logistics.view_shipment", promise_notices))
        register_importer(FreightRateImporter())
        register_metrics(*metrics.METRICS)
        for job in (
            PeriodicJob(name="logistics.check_tracking", task="logistics.tasks.check_tracking",
                        description=_("Asks the carriers for the tracking events of the parcels on their way, each "
                                      "less often while nothing moves."),
                        every_seconds=15 * 60),
            PeriodicJob(name="logistics.process_waiting_notifications",
                        task="logistics.tasks.process_waiting_notifications",
                        description=_("Processes the carriers' notifications left waiting (stored while the broker "
                                      "was down)."),
                        every_seconds=5 * 60),
            PeriodicJob(name="logistics.flag_late_shipments", task="logistics.tasks.flag_late_shipments",
                        description=_("E-mails staff the day's late and at-risk parcels, once a day."),
                        crontab="0 8 * * *"),
        ):
            register_periodic_job(job)
        register_work(WorkSource("logistics.ship_shipment", late_work, section, 45))
        # The refunds of returns are finance's: beside its other counts.
        register_work(WorkSource("logistics.close_returnrequest", refund_work, _("Finance"), 61))
