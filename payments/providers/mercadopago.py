"""Mercado Pago: webhooks signed with `x-signature` (HMAC-SHA256 over
`id:<data.id>;request-id:<x-request-id>;ts:<ts>;`), which point to a payment fetched from
`GET /v1/payments/{id}` (../shared/contracts/mercadopago/)."""

import hashlib
import hmac
import uuid
from decimal import Decimal

from django.conf import settings

from . import (PaymentProvider, ProviderPayment, WebhookIgnored, WebhookMalformed, WebhookRejected, http_json,
               json_object, when)

STATUSES = {
    "pending": "pending", "in_process": "pending", "authorized": "authorized", "approved": "approved",
    "in_mediation": "in_dispute", "rejected": "rejected", "cancelled": "cancelled", "refunded": "refunded",
    "charged_back": "charged_back",
}
METHODS = {
    "credit_card": "credit_card", "debit_card": "debit_card", "ticket": "boleto", "bank_transfer": "pix",
    "account_money": "wallet", "prepaid_card": "debit_card",
}
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    # JSON numbers arrive as floats: go through their shortest text, never binary fractions.
    return Decimal(str(value or 0)).quantize(CENT)


def signature_manifest(data_id: str, request_id: str, ts: str) -> str:
    parts = [("id", data_id.lower() if data_id and not data_id.isdigit() else data_id), ("request-id", request_id),
             ("ts", ts)]
    return "".join(f"{name}:{value};" for name, value in parts if value)


class MercadoPago(PaymentProvider):
    code = "mercadopago"
    signature_headers = ("x-signature", "x-request-id")

    def verify(self, account, *, headers, query, body):
        fields = dict(
            part.strip().split("=", 1) for part in headers.get("x-signature", "").split(",") if "=" in part
        )
        ts, v1 = fields.get("ts", ""), fields.get("v1", "")
        if not (account.webhook_secret and ts and v1):
            raise WebhookRejected("missing x-signature")
        manifest = signature_manifest(query.get("data.id", ""), headers.get("x-request-id", ""), ts)
        expected = hmac.new(account.webhook_secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, v1.lower()):
            raise WebhookRejected("x-signature does not match")

    def resource_id(self, *, query, body):
        document = json_object(body)
        kind = document.get("type") or query.get("type")
        data_id = (document.get("data") or {}).get("id") if isinstance(document.get("data"), dict) else None
        data_id = str(data_id or query.get("data.id") or "")
        if not kind or not data_id:
            raise WebhookMalformed("not a Mercado Pago notification (type and data.id)")
        if kind != "payment":
            raise WebhookIgnored(f"{kind} notifications are not tracked")
        return data_id

    def _url(self, path):
        return f"{settings.MERCADOPAGO_API_URL.rstrip('/')}{path}"

    def fetch_payment(self, account, payment_id):
        data = http_json("GET", self._url(f"/v1/payments/{payment_id}"),
                         headers={"Authorization": f"Bearer {account.access_token}"})
        return self.normalize(data)

    def refund(self, account, payment_id, amount):
        answer = http_json("POST", self._url(f"/v1/payments/{payment_id}/refunds"), body={"amount": float(amount)},
                           headers={"Authorization": f"Bearer {account.access_token}",
                                    "X-Idempotency-Key": str(uuid.uuid4())})
        return str(answer.get("id") or "")

    def normalize(self, data: dict) -> ProviderPayment:
        gross = _money(data.get("transaction_amount"))
        details = data.get("transaction_details") or {}
        collector_fees = sum((_money(fee.get("amount")) for fee in data.get("fee_details") or []
                              if fee.get("fee_payer") != "payer"), Decimal("0.00"))
        # What the store receives is the provider's own figure when it gives one.
        net = (_money(details["net_received_amount"]) if details.get("net_received_amount") is not None
               else gross - collector_fees)
        fees = max(gross - net, Decimal("0.00"))
        refunded = _money(data.get("transaction_amount_refunded"))
        status = STATUSES.get(data.get("status"), "pending")
        if status == "refunded" and Decimal("0") < refunded < gross:
            status = "partially_refunded"
        payer = data.get("payer") or {}
        identification = payer.get("identification") or {}
        name = " ".join(filter(None, [payer.get("first_name"), payer.get("last_name")]))
        return ProviderPayment(
            provider_payment_id=str(data["id"]), status=status, status_detail=data.get("status_detail") or "",
            method=METHODS.get(data.get("payment_type_id"), "wallet"),
            brand=data.get("payment_method_id") if data.get("payment_type_id") in ("credit_card", "debit_card") else "",
            installments=int(data.get("installments") or 1), gross=gross, fees=fees, net=net, refunded=refunded,
            fee_details=data.get("fee_details") or [], paid_at=when(data.get("date_approved")),
            release_date=when(data.get("money_release_date")), payer_name=name,
            payer_document="".join(ch for ch in str(identification.get("number") or "") if ch.isalnum())[:14],
            payer_email=payer.get("email") or "", external_reference=str(data.get("external_reference") or ""), raw=data,
        )
