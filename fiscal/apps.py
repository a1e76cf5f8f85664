from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiscalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fiscal"
    verbose_name = _("Fiscal")

    def ready(self):
        from django.core import checks

        from backoffice.jobs import PeriodicJob, register_periodic_job
        from backoffice.metrics import register_metrics
        from backoffice.navigation import NavItem, register_nav
        from backoffice.notices import NoticeSource, register_notices
        from orders.bulk import BulkOperation, register_bulk_operation
        from orders.panels import OrderPanel, register_order_panel

        from . import metrics
        from .providers.sefaz import sefaz_ca_check
        from .views import certificate_notices, order_fiscal_panel, orders_bulk_issue, sefaz_notices

        checks.register(sefaz_ca_check)
        section = _("Finance")
        register_nav(
            NavItem(_("NF-e"), "fiscal:invoice_list", "receipt-cutoff", "fiscal.view_invoice", section, 60),
            NavItem(_("Fiscal books"), "fiscal:books", "journal-text", "fiscal.view_invoiceevent", section, 60),
            NavItem(_("Fiscal settings"), "fiscal:settings", "gear-wide-connected", "fiscal.view_fiscalprofile",
                    section, 60),
        )
        # After the payments' panels: the order is invoiced once paid.
        register_order_panel(OrderPanel("fiscal/partials/order_panel.html", "fiscal.view_invoice", order_fiscal_panel,
                                        order=60))
        register_bulk_operation(BulkOperation("issue_nfe", _("issue their NF-e"), "fiscal.issue_invoice",
                                              orders_bulk_issue))
        register_notices(NoticeSource("fiscal.view_fiscalprofile", certificate_notices))
        register_notices(NoticeSource("fiscal.view_sefazstatus", sefaz_notices))
        register_metrics(*metrics.METRICS)
        for job in (
            PeriodicJob(name="fiscal.check_sefaz_status", task="fiscal.tasks.check_sefaz_status",
                        description=_("Asks SEFAZ whether its NF-e service is in operation (the fiscal page and the "
                                      "home page warn when it is not)."),
                        every_seconds=15 * 60),
            PeriodicJob(name="fiscal.catch_up_invoices", task="fiscal.tasks.catch_up_invoices",
                        description=_("Sends, or looks up at SEFAZ by their key, the NF-e and events waiting too long "
                                      "for an answer (their task lost, or the worker down)."),
                        every_seconds=5 * 60),
            PeriodicJob(name="fiscal.email_accountant", task="fiscal.tasks.email_accountant",
                        description=_("E-mails the accountant the ZIP of last month's NF-e XML files, on the 1st."),
                        crontab="0 6 1 * *"),
            PeriodicJob(name="fiscal.warn_certificate_expiry", task="fiscal.tasks.warn_certificate_expiry",
                        description=_("Warns finance by e-mail 30 days before the A1 certificate expires, and when "
                                      "it has."),
                        crontab="0 8 * * *"),
        ):
            register_periodic_job(job)
