"""Sandbox mode (setting PAYMENTS_SANDBOX): the providers' APIs played by the app itself (each
provider's `sandbox.py`, in its documented format: the samples in its `contracts/`), and their
notifications signed with the account's own secret and delivered to the real webhook endpoint —
so a demo order can be paid end to end, and the real clients fetch, refund and verify exactly as
in production. The tests serve the same APIs on a local port."""

from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from backoffice.integrations.base import same_digest
from backoffice.integrations.sandbox import Notification, SandboxAPI
from backoffice.queueing import send_after_commit

from ..models import ProviderAccount
from ..providers import ProviderPayment, sandbox
from ..services import PaymentError


class PaymentSandbox(SandboxAPI):
    """A payment provider's sandbox: it lets in the store's active accounts of its provider, and plays
    the buyer paying."""

    def token_known(self, token):
        # Compared here, in constant time: the database holds the tokens encrypted.
        accounts = ProviderAccount.objects.filter(provider=self.provider, active=True)
        return any(same_digest(account.credential("access_token"), token) for account in accounts)

    def pay(self, account, *, order, amount: Decimal, installments: int, at: datetime | None = None) -> Notification:
        """Play the buyer paying `amount` for `order` (at `at`, by default now): the provider's
        record of the payment is kept, and the notification the provider would send is
        returned, signed."""
        raise NotImplementedError

    def provider_payment(self, payment_id: str) -> ProviderPayment:
        """The payment as the provider's client reads it from the documents kept here."""
        raise NotImplementedError


def sandbox_pay(*, account, order, installments: int = 1) -> None:
    """Play the buyer paying what is left of `order` at the account's provider: the sandbox
    keeps the payment and delivers the signed notification to our webhook endpoint once this
    transaction commits (a task, like the provider's own delivery). Refused (PaymentError) unless
    the customer can pay the order now (Order.payable)."""
    if not order.payable:
        raise PaymentError(order.not_payable_yet or _("This order is not waiting for a payment."))
    notification = sandbox(account.provider).pay(account, order=order, amount=order.payment_due,
                                                 installments=installments)
    send_after_commit("payments.tasks.sandbox_deliver", notification.path, notification.headers,
                      notification.body.decode())
