"""Provider accounts, the webhook inbox, payments and what the providers said of them, their
receivables and the cash flow; the machines of their statuses and their timelines' events."""

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.fields import EncryptedJSONField, MoneyField
from backoffice.models import InboxEntry
from backoffice.money import format_money
from backoffice.timeline import StateMachine, timeline_events

from . import providers


class ProviderAccount(models.Model):
    """The store's account at a payment provider. Secrets are never shown back."""

    provider = models.CharField(_("provider"), max_length=20, choices=providers.choices)
    name = models.CharField(_("name"), max_length=100)
    # What its provider's schema declares (PaymentProvider.credentials), encrypted at rest.
    credentials = EncryptedJSONField(_("credentials"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider account")
        verbose_name_plural = _("provider accounts")
        ordering = ["provider", "name"]

    def __str__(self):
        return f"{self.get_provider_display()} – {self.name}"

    def webhook_path(self) -> str:
        """Where the provider sends this account's notifications (after the site's address)."""
        return reverse("payments:webhook", args=[self.provider, self.pk])

    def credential(self, name: str) -> str:
        """One of the account's credentials ("" when it has none)."""
        return self.credentials.get(name, "")


class WebhookEvent(InboxEntry):
    """A payment provider's notification exactly as it arrived, kept before anything is done with it."""

    account = models.ForeignKey(ProviderAccount, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="webhook_events")

    class Meta(InboxEntry.Meta):
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook inbox")
        permissions = [("replay_webhookevent", _("Can replay a webhook event"))]

    def __str__(self):
        return f"{self.account} {self.received_at:%Y-%m-%d %H:%M:%S}"


def _ranked(rank: dict) -> StateMachine:
    """The machine where a status may become any other of a higher or the same rank."""
    return StateMachine({source: {target for target, level in rank.items() if level >= rank[source]} - {source}
                         for source in rank})


class Payment(models.Model):
    """What a provider (or a person, for money received by hand) says of one payment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        AUTHORIZED = "authorized", _("authorized")
        APPROVED = "approved", _("approved")
        IN_DISPUTE = "in_dispute", _("in dispute")
        CHARGED_BACK = "charged_back", _("charged back")
        REFUNDED = "refunded", _("refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        CANCELLED = "cancelled", _("cancelled")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired")

    class Method(models.TextChoices):
        CREDIT_CARD = "credit_card", _("credit card")
        DEBIT_CARD = "debit_card", _("debit card")
        BOLETO = "boleto", _("boleto")
        PIX = "pix", _("Pix")
        PAYPAL = "paypal", _("PayPal")
        TRANSFER = "transfer", _("transfer")
        WALLET = "wallet", _("provider balance")

    account = models.ForeignKey(ProviderAccount, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="payments")
    provider = models.CharField(_("provider"), max_length=20, choices=providers.choices)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=100)
    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True, blank=True,
                              related_name="payments")
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    brand = models.CharField(_("card brand"), max_length=30, blank=True)
    installments = models.PositiveSmallIntegerField(_("installments"), default=1)
    payer_name = models.CharField(_("payer"), max_length=150, blank=True)
    payer_document = models.CharField(_("payer CPF/CNPJ"), max_length=14, blank=True)
    payer_email = models.EmailField(_("payer e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    status_detail = models.CharField(_("status detail"), max_length=100, blank=True)
    gross = MoneyField(_("gross"))
    fees = MoneyField(_("fees"), default=0)
    net = MoneyField(_("net"))
    refunded = MoneyField(_("refunded"), default=0)
    fee_details = models.JSONField(_("fee details"), default=list, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    release_date = models.DateTimeField(_("money release"), null=True, blank=True)
    # The payment's amount counted on its order (so the order is credited once).
    credited_to_order = models.BooleanField(default=False)
    # Payments registered by hand: who typed it in and, when it was more than its order
    # still waited for, who else allowed it (it stays pending until then).
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    events = GenericRelation("backoffice.TimelineEvent")

    # By how far along a payment is: a status only replaces one of a lower or the same rank, so
    # a late, older notification never overwrites a newer one.
    states = _ranked({
        Status.PENDING: 0, Status.AUTHORIZED: 1, Status.REJECTED: 1, Status.CANCELLED: 1, Status.EXPIRED: 1,
        Status.APPROVED: 2, Status.IN_DISPUTE: 3, Status.PARTIALLY_REFUNDED: 3, Status.REFUNDED: 4,
        Status.CHARGED_BACK: 4,
    })

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        permissions = [("approve_payment", _("Can approve a payment registered by hand above what its order is due"))]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_payment_id"], name="payment_one_per_provider_id"),
            models.CheckConstraint(condition=Q(gross__gte=0, fees__gte=0, net__gte=0, refunded__gte=0),
                                   name="payment_amounts_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_provider_display()} {self.provider_payment_id}"

    @property
    def awaiting_approval(self):
        """Registered by hand above what its order was due: no money counts until someone else approves."""
        return (self.provider == "manual" and self.status == self.Status.PENDING
                and self.recorded_by_id is not None)

    @property
    def refundable(self):
        """What may still be given back (only an approved payment gives money back)."""
        if self.status in (self.Status.APPROVED, self.Status.PARTIALLY_REFUNDED):
            return self.gross - self.refunded
        return 0


class PaymentEvent(models.Model):
    """What the provider said about a payment, each time, as it said it (applied or, older than
    the payment's status, not): the raw input, beside the payment's own timeline."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.CASCADE,
                                related_name="provider_events")
    webhook_event = models.ForeignKey(WebhookEvent, verbose_name=_("webhook event"), on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=20, choices=Payment.Status.choices)
    applied = models.BooleanField(_("applied"), default=True,
                                  help_text=_("False when a late, older status was ignored."))
    raw = models.JSONField(_("provider data"), default=dict)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "pk"]
        default_permissions = ("view",)


class SettlementRule(models.Model):
    """A provider's terms for a method: its fee (used when the provider does not say what it
    kept), days after the payment to the first (or only) settlement, and between installments."""

    provider = models.CharField(_("provider"), max_length=20, choices=providers.choices)
    method = models.CharField(_("method"), max_length=20, choices=Payment.Method.choices)
    fee_percent = models.DecimalField(_("fee (%)"), max_digits=5, decimal_places=2, default=0)
    fee_fixed = MoneyField(_("fixed fee per payment"), default=0)
    days_to_first = models.PositiveSmallIntegerField(_("days to the first settlement"))
    days_between = models.PositiveSmallIntegerField(_("days between installments"), default=30)

    class Meta:
        verbose_name = _("fee and settlement rule")
        verbose_name_plural = _("fee and settlement rules")
        constraints = [
            models.UniqueConstraint(fields=["provider", "method"], name="settlementrule_one_per_method"),
            models.CheckConstraint(condition=Q(fee_percent__gte=0, fee_percent__lt=100, fee_fixed__gte=0),
                                   name="settlementrule_fee_sensible"),
        ]

    def __str__(self):
        return f"{self.get_provider_display()} {self.get_method_display()}: D+{self.days_to_first}"


class Receivable(models.Model):
    """Money expected from a provider on a date: one per installment of an approved payment."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("expected")
        SETTLED = "settled", _("settled")
        CANCELLED = "cancelled", _("cancelled")

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.CASCADE,
                                related_name="receivables")
    number = models.PositiveSmallIntegerField(_("installment"))
    due_date = models.DateField(_("expected on"), db_index=True)
    gross = MoneyField(_("gross"))
    fee = MoneyField(_("fee"))
    net = MoneyField(_("net"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.EXPECTED,
                              db_index=True)

    events = GenericRelation("backoffice.TimelineEvent")

    # Released by the provider on its day, or no longer expected (its payment cancelled, or
    # all of it given back to the payer).
    states = StateMachine({Status.EXPECTED: {Status.SETTLED, Status.CANCELLED}})

    class Meta:
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["due_date", "payment_id", "number"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["payment", "number"], name="receivable_one_per_installment"),
            models.CheckConstraint(condition=Q(gross__gte=0, fee__gte=0, net__gte=0),
                                   name="receivable_amounts_not_negative"),
        ]

    def __str__(self):
        return f"{self.payment} {self.number}/{self.payment.installments}"


class Refund(models.Model):
    """Money given back on a payment, asked of the provider from the back office."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    provider_refund_id = models.CharField(_("provider refund id"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "pk"]
        default_permissions = ("view", "add")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]


class CashEntry(models.Model):
    """One movement of the store's money: in or out, realized or scheduled (forecast)."""

    class Direction(models.TextChoices):
        IN = "in", _("in")
        OUT = "out", _("out")

    class Category(models.TextChoices):
        SALES = "sales", _("sales received")
        OTHER_INCOME = "other_income", _("other income")
        REFUNDS = "refunds", _("refunds")
        CHARGEBACKS = "chargebacks", _("chargebacks")
        PROVIDER_FEES = "provider_fees", _("provider fees")
        MARKETPLACE_FEES = "marketplace_fees", _("marketplace commissions")
        FREIGHT = "freight", _("freight")
        SUPPLIERS = "suppliers", _("suppliers")
        TAXES = "taxes", _("taxes")
        PAYROLL = "payroll", _("payroll")
        OTHER_EXPENSE = "other_expense", _("other expenses")

    class Status(models.TextChoices):
        REALIZED = "realized", _("realized")
        SCHEDULED = "scheduled", _("scheduled")

    date = models.DateField(_("date"), db_index=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REALIZED)
    description = models.CharField(_("description"), max_length=200, blank=True)
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="cash_entries")
    receivable = models.ForeignKey(Receivable, verbose_name=_("receivable"), on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="cash_entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # A scheduled entry happens (paid or received) once.
    states = StateMachine({Status.SCHEDULED: {Status.REALIZED}})

    class Meta:
        verbose_name = _("cash entry")
        verbose_name_plural = _("cash flow")
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cashentry_amount_positive"),
            # A receivable settles once: its gross in and its fee out.
            models.UniqueConstraint(fields=["receivable", "category"], name="cashentry_one_per_receivable_category"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_category_display()} {self.amount}"


def _day(text: str) -> str:
    return formats.date_format(date.fromisoformat(text), "SHORT_DATE_FORMAT")


def _refund_text(params: dict) -> str:
    amount = format_money(params["amount"])
    if params.get("reason"):
        return _("Refund of %(amount)s: %(reason)s") % {"amount": amount, "reason": params["reason"]}
    return _("Refund of %(amount)s.") % {"amount": amount}


# Amounts are kept as text ("58.80") and dates as ISO days, shown in the reader's format.
timeline_events({
    "payment.recorded": lambda params: _("Recorded: %(gross)s.") % {"gross": format_money(params["gross"])},
    "payment.refund": _refund_text,
    "receivable.settled": lambda params: _("Released: %(net)s.") % {"net": format_money(params["net"])},
    "receivable.cancelled": _("Its payment was cancelled."),
    "receivable.given_back": lambda params: _("Given back to the payer: %(amount)s.") % {
        "amount": format_money(params["amount"])},
    "cashentry.realized": lambda params: _("Done on %(date)s (scheduled for %(scheduled)s).") % {
        "date": _day(params["date"]), "scheduled": _day(params["scheduled"])},
    "webhookevent.failed": _("Failed: %(error)s"),
    "webhookevent.poisoned": _("Processing stopped the worker %(starts)d times."),
    "webhookevent.received": _("Queued again to be processed."),
})


# The audit log's own actions (a move reads as its status).
audit_actions({
    "payment.refund": _("Payment refunded"),
    "payment.manual": _("Payment recorded by hand"),
    "cash.entry": _("Cash-flow entry"),
    "receivable.given_back": _("Receivable given back to the payer"),
    "webhookevent.poisoned": _("Webhook stopped the worker"),
})
