"""PagBank (PagSeguro) Orders/Charges API: webhooks authenticated by `x-authenticity-token`
(SHA-256 of `<token>-<raw body>`) and carrying an order (`ORDE_…`) or a charge (`CHAR_…`),
which is fetched again from the API rather than trusted (payments/providers/pagbank/contracts/
NOTES.md). The token binds the whole body, so the id processed is the one PagBank sent; it signs
no time, so a replayed notification only makes us read the API again (an order's own dates can
be days old when a boleto is paid: not a replay test)."""

import hashlib
import re
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backoffice.integrations.base import json_object, same_digest, when
from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import ProviderError, WebhookIgnored, WebhookMalformed, WebhookRejected
from backoffice.integrations.http import request_json
from backoffice.money import cents

from .. import PaymentProvider, ProviderPayment

STATUSES = {
    "PAID": "approved", "AUTHORIZED": "authorized", "WAITING": "pending", "IN_ANALYSIS": "pending",
    "DECLINED": "rejected", "CANCELED": "cancelled",
}
METHODS = {"CREDIT_CARD": "credit_card", "DEBIT_CARD": "debit_card", "BOLETO": "boleto", "PIX": "pix"}
# PagBank resource ids: a four-letter kind, then a UUID (ORDE_…, CHAR_…, QRCO_…, CHEC_…).
RESOURCE_ID = re.compile(r"([A-Z]{4})_[\w-]{1,90}", re.ASCII)


def _money(value) -> Decimal:
    return cents(Decimal(int(value or 0)) / 100)


def _paid(charge) -> Decimal:
    return _money(((charge.get("amount") or {}).get("summary") or {}).get("paid"))


def authenticity_token(token: str, body: bytes) -> str:
    return hashlib.sha256(f"{token}-".encode() + body).hexdigest()


class PagBank(PaymentProvider):
    code = "pagbank"
    signature_headers = ("x-authenticity-token",)
    credentials = (
        CredentialField("access_token", _("token"), help_text=_("The account's token (it also signs the webhooks).")),
    )

    def verify(self, account, *, headers, query, body):
        received = headers.get("x-authenticity-token", "").strip().lower()
        if not (account.credential("access_token") and received):
            raise WebhookRejected("missing x-authenticity-token")
        if not same_digest(authenticity_token(account.credential("access_token"), body), received):
            raise WebhookRejected("x-authenticity-token does not match")

    def resource_id(self, *, query, body):
        document = json_object(body)
        match = RESOURCE_ID.fullmatch(str(document.get("id") or ""))
        if not match:
            raise WebhookMalformed("not a PagBank notification (an ORDE_ or CHAR_ id)")
        # Authentic, but nothing we record: other resources, or an order nobody has paid yet.
        if match[1] not in ("ORDE", "CHAR"):
            raise WebhookIgnored(f"{match[1]}_ notifications are not tracked")
        if match[1] == "ORDE" and not document.get("charges"):
            raise WebhookIgnored("an order without charges")
        return match[0]

    def _url(self, path):
        return f"{settings.PAGBANK_API_URL.rstrip('/')}{path}"

    def _call(self, account, method, path, body=None):
        return request_json(method, self._url(path), body=body,
                            headers={"Authorization": f"Bearer {account.credential('access_token')}"})

    def fetch_payment(self, account, payment_id):
        kind = "orders" if payment_id.startswith("ORDE_") else "charges"
        document = self._call(account, "GET", f"/{kind}/{payment_id}")
        try:
            if kind == "charges":
                return self.normalize(document)
            charges = document.get("charges") or []
            if not charges:
                raise ProviderError(f"order {payment_id} has no charge")
            # An order keeps its declined attempts: the payment is the (last) charge that took money.
            taken = [c for c in charges if c.get("status") == "PAID" or _paid(c)]
            return self.normalize((taken or charges)[-1], order=document)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProviderError(f"{payment_id}: unusable answer ({exc!r})") from exc

    def refund(self, account, payment_id, amount):
        cents = int((amount * 100).to_integral_value())
        answer = self._call(account, "POST", f"/charges/{payment_id}/cancel", body={"amount": {"value": cents}})
        return str(answer.get("id") or "")

    def normalize(self, charge: dict, order: dict | None = None) -> ProviderPayment:
        """A charge in our terms; an Orders API charge takes its reference and payer from its order."""
        amount = charge.get("amount") or {}
        gross, refunded = _money(amount.get("value")), _money((amount.get("summary") or {}).get("refunded"))
        status = STATUSES.get(charge.get("status"), "pending")
        if refunded:
            status = "refunded" if refunded >= (_paid(charge) or gross) else "partially_refunded"
        method = charge.get("payment_method") or {}
        # A Pix order shows its QR code as `qr_codes` from the API, `qr_code` in the docs' webhook.
        pix = order and (order.get("qr_codes") or order.get("qr_code"))
        kind = method.get("type") or ("PIX" if pix else "")
        payer = (order or {}).get("customer") or (method.get("boleto") or {}).get("holder") or {}
        return ProviderPayment(
            provider_payment_id=str(charge["id"]), status=status, status_detail=charge.get("status") or "",
            method=METHODS.get(kind, "wallet"), brand=(method.get("card") or {}).get("brand") or "",
            installments=int(method.get("installments") or 1), gross=gross, fees=None, net=None, refunded=refunded,
            paid_at=when(charge.get("paid_at")), payer_name=payer.get("name") or "",
            payer_email=payer.get("email") or "",
            payer_document="".join(ch for ch in str(payer.get("tax_id") or "") if ch.isalnum())[:14],
            external_reference=str((order or charge).get("reference_id") or ""), raw=order or charge,
        )
