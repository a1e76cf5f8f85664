"""A local stand-in for Mercado Pago's API (payments and refunds), serving payment
documents in the format of ../shared/contracts/mercadopago/, and a signer for its webhooks."""

import hashlib
import hmac
import json
from pathlib import Path

from payments.providers.mercadopago import signature_manifest
from tests.payments.fake_server import FakeProviderAPI

# Copies of the documented samples (shared/contracts/mercadopago; sources in its NOTES.md).
CONTRACTS = Path(__file__).resolve().parent / "contracts" / "mercadopago"


def sample_payment(**changes) -> dict:
    """The documented payment resource (credit card, approved), with `changes` applied."""
    document = json.loads((CONTRACTS / "payment_credit_card_adb_mock.json").read_text())
    document.update(changes)
    return document


class FakeMercadoPago(FakeProviderAPI):
    """GET /v1/payments/{id} from `payments`; POST /v1/payments/{id}/refunds refunds."""

    def __init__(self):
        self.payments: dict[str, dict] = {}
        super().__init__()

    def respond(self, method, path, headers, body):
        parts = path.strip("/").split("/")
        payment = self.payments.get(parts[2]) if len(parts) >= 3 else None
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
            return 201, {"id": refund_id, "payment_id": payment["id"], "amount": amount, "status": "approved"}
        return 200, payment


def signed_headers(secret: str, data_id: str, request_id: str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
                   ts: str = "1704908010") -> dict:
    manifest = signature_manifest(data_id, request_id, ts)
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"HTTP_X_SIGNATURE": f"ts={ts},v1={v1}", "HTTP_X_REQUEST_ID": request_id}
