"""Money received outside a provider's API (Pix to the store's key, bank transfer, boleto
registered elsewhere): finance records it, and refunds are sent by hand."""

from backoffice.integrations.errors import ProviderError, WebhookRejected

from .. import PaymentProvider


class Manual(PaymentProvider):
    code = "manual"

    def verify(self, account, *, headers, query, body):
        raise WebhookRejected("manual accounts take no notifications")

    def fetch_payment(self, account, payment_id):
        raise ProviderError("a manual payment is recorded by finance, not fetched")

    def refund(self, account, payment_id, amount):
        return ""
