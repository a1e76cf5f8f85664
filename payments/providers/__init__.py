"""Payment providers: one module each behind `PaymentProvider`, found through PROVIDERS."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class WebhookRejected(Exception):
    """The notification failed the provider's authentication (answered 401)."""


class WebhookMalformed(Exception):
    """The notification cannot be read (answered 400)."""


class ProviderError(Exception):
    """The provider's API failed or answered something unusable (processing is retried)."""


@dataclass
class ProviderPayment:
    """A payment as any provider describes it, in our terms."""

    provider_payment_id: str
    status: str
    status_detail: str
    method: str
    gross: Decimal
    fees: Decimal
    net: Decimal
    refunded: Decimal = Decimal("0.00")
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


class PaymentProvider:
    code: str

    def verify(self, account, *, headers: dict, query: dict, body: bytes) -> None:
        """Raise WebhookRejected unless the notification is authentic."""
        raise NotImplementedError

    def resource_id(self, *, query: dict, body: bytes) -> str:
        """The id of the payment the notification is about; WebhookMalformed if none."""
        raise NotImplementedError

    def fetch_payment(self, account, payment_id: str) -> ProviderPayment:
        raise NotImplementedError


def provider(code: str) -> PaymentProvider:
    from .mercadopago import MercadoPago

    registry = {MercadoPago.code: MercadoPago()}
    return registry[code]
