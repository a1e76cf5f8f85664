"""Sandbox mode (setting PAYMENTS_SANDBOX): the providers' APIs played by the app itself, in
each provider's documented format (the samples under contracts/, with their sources), and
their notifications signed with the account's own secret and delivered to the real webhook
endpoint — so a demo order can be paid end to end, and the real clients fetch, refund and
verify exactly as in production. The tests serve the same APIs on a local port."""

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

from django.utils.module_loading import import_string

from backoffice.queueing import send_after_commit

from ..models import ProviderAccount, SandboxDocument
from ..providers import ProviderPayment, same_digest

CONTRACTS = Path(__file__).resolve().parent / "contracts"


@dataclass
class Notification:
    """A provider's webhook delivery: to the endpoint (with its query string), as sent."""

    path: str
    headers: dict
    body: bytes


class SandboxAPI:
    """A provider's API: `handle(method, path, headers, body) -> (status, document)` over the
    documents in its `kinds` (each a mapping: plain dicts in tests, SandboxDocument rows in
    the app — code that changes a document stores it again). A document is sent as JSON, a
    string as a CSV file."""

    provider: str
    kinds: tuple[str, ...] = ()

    def __init__(self, documents=lambda kind: {}, token: str | None = None):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.token = token
        for kind in self.kinds:
            setattr(self, kind, documents(kind))

    def handle(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict | list | str]:
        headers = {key.lower(): value for key, value in headers.items()}
        self.requests.append((method, path, headers, body))
        return self.respond(method, path, headers, body)

    def respond(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict | list | str]:
        raise NotImplementedError

    def bearer_ok(self, headers: dict) -> bool:
        """`Authorization: Bearer <token>` with `token`, or with an active account's access token
        (compared here: the database holds them encrypted)."""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not token or self.token is not None:
            return bool(token) and token == self.token
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


class StoredDocuments(MutableMapping):
    """One kind of a provider's sandbox documents, kept in the database."""

    def __init__(self, provider: str, kind: str):
        self.provider, self.kind = provider, kind
        self.rows = SandboxDocument.objects.filter(provider=provider, kind=kind)

    def __getitem__(self, key):
        document = self.rows.filter(key=key).values_list("document", flat=True).first()
        if document is None:
            raise KeyError(key)
        return document

    def __setitem__(self, key, document):
        SandboxDocument.objects.update_or_create(provider=self.provider, kind=self.kind, key=key,
                                                 defaults={"document": document})

    def __delitem__(self, key):
        self.rows.filter(key=key).delete()

    def __iter__(self):
        return iter(list(self.rows.order_by("pk").values_list("key", flat=True)))

    def __len__(self):
        return self.rows.count()


SANDBOXES = {
    "mercadopago": "payments.sandbox.mercadopago.MercadoPagoSandbox",
    "pagbank": "payments.sandbox.pagbank.PagBankSandbox",
    "paypal": "payments.sandbox.paypal.PayPalSandbox",
}


def sandbox(code: str) -> SandboxAPI:
    """The provider's sandbox over the documents kept in the database."""
    return import_string(SANDBOXES[code])(partial(StoredDocuments, code))


def sandbox_pay(*, account, order, installments: int = 1) -> None:
    """Play the buyer paying what is left of `order` at the account's provider: the sandbox
    keeps the payment and delivers the signed notification to our webhook endpoint once this
    transaction commits (a task, like the provider's own delivery)."""
    notification = sandbox(account.provider).pay(account, order=order, amount=order.total - order.paid_amount,
                                                 installments=installments)
    send_after_commit("payments.tasks.sandbox_deliver", notification.path, notification.headers,
                      notification.body.decode())
