from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav
        from backoffice.worklist import WorkSource, register_work
        from orders.exports import register_order_export_part
        from orders.panels import OrderPanel, register_order_panel

        from . import metrics
        from .exports import ORDER_EXPORT_PART
        from .sandbox.views import order_panel as sandbox_panel
        from .views import order_manual_payment_panel
        from .work import approval_work, receivable_work, webhook_work

        section = _("Finance")
        register_nav(
            NavItem(_("Payments"), "payments:payment_list", "credit-card", "payments.view_payment", section, 60),
            NavItem(_("Receivables"), "payments:receivable_calendar", "calendar3", "payments.view_receivable", section,
                    60),
            NavItem(_("Provider releases"), "payments:releases", "bank", "payments.view_receivable", section, 60),
            NavItem(_("Cash flow"), "payments:cash_flow", "graph-up", "payments.view_cashentry", section, 60),
            NavItem(_("Webhook inbox"), "payments:webhook_list", "inbox", "payments.view_webhookevent", section, 60),
        )
        register_order_panel(OrderPanel(
            "payments/partials/order_payments.html", "payments.view_payment",
            lambda order: {"payments": order.payments.select_related("recorded_by", "approved_by")
                          .prefetch_related("refunds__created_by")},
        ))
        register_order_panel(OrderPanel("payments/partials/order_manual_payment.html", "orders.register_payment",
                                        order_manual_payment_panel))
        register_order_panel(OrderPanel("payments/partials/order_sandbox.html", "orders.register_payment",
                                        sandbox_panel))
        register_order_export_part(ORDER_EXPORT_PART)
        register_metrics(*metrics.METRICS)
        register_periodic_job(PeriodicJob(
            name="payments.process_waiting_webhooks",
            task="payments.tasks.process_waiting_webhooks",
            description=_("Processes the provider notifications that waited more than five minutes (stored while "
                          "the broker was down)."),
            every_seconds=300,
        ))
        register_periodic_job(PeriodicJob(
            name="payments.settle_receivables",
            task="payments.tasks.settle_receivables",
            description=_("Books the receivables due today as received: their gross in and the provider's fee out."),
            crontab="30 5 * * *",
        ))
        # Each for those who act on it: replay (finance and ops); the receivables a provider did not
        # release, for those who keep the cash flow (finance), not those who only read them; approve
        # (finance and managers).
        register_work(WorkSource("payments.replay_webhookevent", webhook_work, section, 60))
        register_work(WorkSource("payments.add_cashentry", receivable_work, section, 60))
        register_work(WorkSource("payments.approve_payment", approval_work, section, 60))
