from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketplaces"
    verbose_name = _("Marketplaces")
