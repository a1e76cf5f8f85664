"""Payment providers: one folder each (`<code>/`: the client, behind `PaymentProvider`, its sandbox
and its contract samples), registered once in PROVIDERS."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from backoffice.integrations.base import Provider
from backoffice.integrations.registry import Registry
from backoffice.money import ZERO


@dataclass
class ProviderPayment:
    """A payment as any provider describes it, in our terms."""

    provider_payment_id: str
    status: str
    status_detail: str
    method: str
    gross: Decimal
    # None when the provider does not say what it keeps: the fee rule of the provider and
    # method (SettlementRule) computes them.
    fees: Decimal | None
    net: Decimal | None
    refunded: Decimal = ZERO
    brand: str = ""
    installments: int = 1
    fee_details: list = field(default_factory=list)
    paid_at: datetime | None = None
    release_date: datetime | None = None
    payer_name: str = ""
    payer_document: str = ""
    payer_email: str = ""
    external_reference: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class Release:
    """Money the provider released to the store's balance, or took from it (a refund, a
    chargeback, a withdrawal to the bank), as its statement lists it."""

    date: datetime
    kind: str  # payment, refund, chargeback, withdrawal, … in the provider's words
    provider_payment_id: str
    external_reference: str
    gross: Decimal
    fee: Decimal  # what the provider kept (positive)
    net: Decimal  # what the balance moved: positive in, negative out
    description: str = ""


class PaymentProvider(Provider):
    """A payment provider's client: its webhooks (Provider's `verify` and `resource_id`, about a
    payment), and the payment, its refunds and the provider's statement."""

    def fetch_payment(self, account, payment_id: str) -> ProviderPayment:
        """The payment `resource_id` points to, as the provider's API says now; ProviderError
        when the API fails."""
        raise NotImplementedError

    def refund(self, account, payment_id: str, amount: Decimal) -> str:
        """Ask the provider to give `amount` of the payment back; the provider's refund id.
        ProviderError when it refuses or fails."""
        raise NotImplementedError

    # Whether `releases` can ask this provider for its statement.
    lists_releases = False

    def releases(self, account, start: date, end: date) -> list[Release]:
        """What the provider released (or took) from `start` to `end` (inclusive), oldest
        first; ReportPending while it prepares the statement, ProviderError when it fails."""
        raise NotImplementedError


# Every payment provider, registered once: each is a folder here (its client, its sandbox, its
# contract samples). The model fields' choices, `provider` and `sandbox` read this list.
PROVIDERS = Registry()
PROVIDERS.add("mercadopago", "Mercado Pago", "payments.providers.mercadopago.MercadoPago",
              sandbox="payments.providers.mercadopago.sandbox.MercadoPagoSandbox")
PROVIDERS.add("pagbank", "PagBank / PagSeguro", "payments.providers.pagbank.PagBank",
              sandbox="payments.providers.pagbank.sandbox.PagBankSandbox")
PROVIDERS.add("paypal", "PayPal", "payments.providers.paypal.PayPal",
              sandbox="payments.providers.paypal.sandbox.PayPalSandbox")
PROVIDERS.add("manual", _("manual (Pix, transfer, boleto)"), "payments.providers.manual.Manual")


def choices():
    """The provider fields' choices: a callable, which migrations keep by reference, so a provider
    added to PROVIDERS needs no migration."""
    return PROVIDERS.choices()


provider = PROVIDERS.provider  # the client of a code
sandbox = PROVIDERS.sandbox  # its sandbox (a PaymentSandbox) over the documents kept in the database
