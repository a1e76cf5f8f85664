"""Mercado Pago's API in sandbox mode: `GET /v1/payments/{id}` and `POST
/v1/payments/{id}/refunds` over payment documents shaped like the documented sample
(contracts/mercadopago/), and webhooks signed with `x-signature` as documented."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from ..providers.mercadopago import MercadoPago, signature_manifest
from . import CONTRACTS, Notification, SandboxAPI

SAMPLES = CONTRACTS / "mercadopago"
# What the sandbox keeps of a card payment (Mercado Pago's fee for receiving in 14 days).
CARD_FEE = Decimal("0.0499")


def _new_id() -> int:
    """An id in Mercado Pago's range (eleven digits), unique without asking anyone."""
    return 10**10 + uuid.uuid4().int % (9 * 10**10)


def sample_payment(**changes) -> dict:
    """The documented payment resource (credit card, approved), with `changes` applied."""
    document = json.loads((SAMPLES / "payment_credit_card_adb_mock.json").read_text())
    document.update(changes)
    return document


def signed_headers(secret: str, data_id: str, request_id: str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
                   ts: str = "1704908010") -> dict:
    """The headers of a notification about `data_id`, signed with the webhook's secret."""
    manifest = signature_manifest(data_id, request_id, ts)
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}


def notification(account, data_id: str) -> Notification:
    body = json.loads((SAMPLES / "webhook_notification_payment.json").read_text())
    body.update(id=_new_id(), live_mode=False, date_created=timezone.now().isoformat(timespec="milliseconds"))
    body["data"]["id"] = data_id
    headers = signed_headers(account.webhook_secret, data_id, str(uuid.uuid4()), str(int(time.time())))
    return Notification(f"/payments/webhooks/mercadopago/{account.pk}/?data.id={data_id}&type=payment",
                        {"content-type": "application/json", **headers}, json.dumps(body).encode())


class MercadoPagoSandbox(SandboxAPI):
    provider = "mercadopago"
    kinds = ("payments",)

    def respond(self, method, path, headers, body):
        parts = path.split("?")[0].strip("/").split("/")
        payment = self.payments.get(parts[2]) if len(parts) >= 3 and parts[:2] == ["v1", "payments"] else None
        if payment is None:
            return 404, {"message": "not found", "status": 404}
        if method == "POST" and parts[3:] == ["refunds"]:
            amount = json.loads(body or b"{}").get("amount") or payment["transaction_amount"]
            refunded = round(payment.get("transaction_amount_refunded", 0) + amount, 2)
            if refunded > payment["transaction_amount"]:
                return 400, {"message": "Invalid refund amount", "status": 400}
            payment.update(transaction_amount_refunded=refunded,
                           status="refunded" if refunded >= payment["transaction_amount"] else payment["status"])
            refund_id = len(self.requests)
            payment.setdefault("refunds", []).append({"id": refund_id, "amount": amount})
            self.payments[parts[2]] = payment
            return 201, {"id": refund_id, "payment_id": payment["id"], "amount": amount, "status": "approved"}
        return 200, payment

    def pay(self, account, *, order, amount, installments, at=None):
        """An approved credit-card payment in `installments`, its fee kept by the provider."""
        now = at or timezone.now()
        fee = (amount * CARD_FEE).quantize(Decimal("0.01"))
        payment = sample_payment(
            id=_new_id(), external_reference=str(order.number), transaction_amount=float(amount),
            installments=installments, date_created=now.isoformat(), date_approved=now.isoformat(),
            date_last_updated=now.isoformat(), money_release_date=(now + timedelta(days=14)).isoformat(),
            fee_details=[{"type": "mercadopago_fee", "amount": float(fee), "fee_payer": "collector"}],
        )
        payment["transaction_details"].update(
            net_received_amount=float(amount - fee), total_paid_amount=float(amount),
            installment_amount=float((amount / installments).quantize(Decimal("0.01"))))
        first, _, last = order.customer.name.partition(" ")
        payment["payer"].update(email=order.customer.email, first_name=first, last_name=last,
                                identification={"number": order.customer.document,
                                                "type": "CNPJ" if len(order.customer.document) == 14 else "CPF"})
        self.payments[str(payment["id"])] = payment
        return notification(account, str(payment["id"]))

    def provider_payment(self, payment_id):
        return MercadoPago().normalize(self.payments[payment_id])
