"""Payment providers: one module each behind `PaymentProvider`, found through PROVIDERS."""

import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import WebhookMalformed, WebhookRejected
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


class PaymentProvider:
    code: str
    # Request headers that carry the provider's authentication, kept in the webhook inbox.
    signature_headers: tuple[str, ...] = ()
    # What an account needs (ProviderAccount.credentials holds them).
    credentials: tuple[CredentialField, ...] = ()

    def verify(self, account, *, headers: dict, query: dict, body: bytes) -> None:
        """Raise WebhookRejected unless the notification is authentic."""
        raise NotImplementedError

    def resource_id(self, *, query: dict, body: bytes) -> str:
        """The id of the payment the notification is about: WebhookMalformed when it cannot be
        read, WebhookIgnored when it is about something else (another event type)."""
        raise NotImplementedError

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


def when(value: str | None) -> datetime | None:
    """A provider's ISO 8601 time ("…Z" or with an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def same_digest(expected: str, received: str) -> bool:
    """Whether a header's digest is the expected one, in constant time (as bytes: a header can
    hold any character, and compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace"))


def within_tolerance(moment: datetime, what: str) -> None:
    """WebhookRejected unless the signed `moment` is near now (PAYMENTS_WEBHOOK_TOLERANCE_SECONDS
    either way): a captured notification cannot be replayed later, nor one dated ahead."""
    drift = abs((datetime.now(UTC) - moment).total_seconds())
    if drift > settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected(f"{what} is {drift:.0f} s away from now")


def json_object(body: bytes) -> dict:
    """A notification's body as a JSON object, or WebhookMalformed."""
    try:
        document = json.loads(body or b"{}")
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; RecursionError: deep nesting
        raise WebhookMalformed("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise WebhookMalformed("the body is not a JSON object")
    return document


PROVIDERS = {
    "mercadopago": "payments.providers.mercadopago.MercadoPago",
    "pagbank": "payments.providers.pagbank.PagBank",
    "paypal": "payments.providers.paypal.PayPal",
    "manual": "payments.providers.manual.Manual",
}


def provider(code: str) -> PaymentProvider:
    return import_string(PROVIDERS[code])()
