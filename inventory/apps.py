from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self):
        from backoffice.imports import register_importer
        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav

        from . import metrics
        from .importers import CatalogImporter, CountImporter

        register_metrics(*metrics.METRICS)
        section = _("Inventory")
        register_nav(
            NavItem(_("Products"), "inventory:product_list", "box-seam", "inventory.view_product", section),
            NavItem(_("Receive goods"), "inventory:receipt", "truck", "inventory.receive_stock", section),
            NavItem(_("Stock ledger"), "inventory:movement_list", "journal-arrow-up", "inventory.view_movement",
                    section),
            NavItem(_("Low stock"), "inventory:low_stock", "exclamation-triangle", "inventory.view_product", section),
            NavItem(_("Warehouses"), "inventory:warehouse_list", "buildings", "inventory.view_warehouse", section),
        )
        register_importer(CatalogImporter())
        register_importer(CountImporter())
        register_periodic_job(
            PeriodicJob(
                name="inventory.reorder_check",
                task="inventory.tasks.reorder_check",
                description=_("Flags the SKUs at or under their reorder point and suggests how much to buy."),
                crontab="0 6 * * *",
            )
        )
