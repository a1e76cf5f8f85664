from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from backoffice.navigation import NavItem, register_nav

        section = _("Finance")
        register_nav(
            NavItem(_("Payments"), "payments:payment_list", "credit-card", "payments.view_payment", section, 60),
            NavItem(_("Webhook inbox"), "payments:webhook_list", "inbox", "payments.view_webhookevent", section, 60),
        )
