"""A local stand-in for PagBank's Orders/Charges API (orders, charges, cancel/refund), serving
documents in the format of ../shared/contracts/pagbank/, and a signer for its webhooks."""

import hashlib
import json
from pathlib import Path

from tests.payments.fake_server import FakeProviderAPI

# Copies of the documented samples (shared/contracts/pagbank; sources in its NOTES.md).
CONTRACTS = Path(__file__).resolve().parent / "contracts" / "pagbank"


def _error(code, description, parameter=None):
    # PagBank's error body (developer.pagbank.com.br "Códigos de erro" of the Orders API).
    return {"error_messages": [{"code": code, "description": description,
                                **({"parameter_name": parameter} if parameter else {})}]}


def sample_order(reference_id="ex-00001", value=500, status="PAID") -> dict:
    """The documented Pix order as the API answers it (`qr_codes`, where the docs' webhook says
    `qr_code`), for `value` centavos, its charge in `status`."""
    order = json.loads((CONTRACTS / "orders_webhook_pix_paid.json").read_text())
    order["reference_id"] = reference_id
    order["items"][0]["unit_amount"] = order["qr_code"][0]["amount"]["value"] = value
    charge = order["charges"][0]
    charge["status"] = status
    paid = value if status == "PAID" else 0
    charge["amount"].update(value=value, summary={"total": value, "paid": paid, "refunded": 0})
    if status != "PAID":
        del charge["paid_at"]
    order["qr_codes"] = order.pop("qr_code")
    return order


def sample_boleto_charge(reference_id="", value=100) -> dict:
    """The documented Charges API boleto (WAITING), completed where our copy is cut off."""
    text = [line for line in (CONTRACTS / "charge_webhook_boleto_TRUNCATED.txt").read_text().splitlines()
            if line.startswith("{")][0]
    charge = json.loads(text[:text.index(',"notification_u')] + "}")
    charge.update(reference_id=reference_id, notification_urls=["https://loja.example/payments/webhooks/pagbank/"])
    charge["amount"].update(value=value, summary={"total": value, "paid": 0, "refunded": 0})
    return charge


class FakePagBank(FakeProviderAPI):
    """GET /orders/{id} from `orders`; GET /charges/{id} from `charges` (Charges API) or an order's
    charges; POST /charges/{id}/cancel refunds. Only `Bearer <token>` is let in."""

    def __init__(self, token):
        self.token = token
        self.orders: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        super().__init__()

    def charge(self, charge_id):
        every = [*self.charges.values(), *(c for order in self.orders.values() for c in order.get("charges", []))]
        return next((c for c in every if c["id"] == charge_id), None)

    def respond(self, method, path, headers, body):
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _error("UNAUTHORIZED", "Invalid credential. Review AUTHORIZATION header")
        match (method, *path.strip("/").split("/")):
            case ("GET", "orders", order_id):
                found = self.orders.get(order_id)
            case ("GET", "charges", charge_id):
                found = self.charge(charge_id)
            case ("POST", "charges", charge_id, "cancel") if self.charge(charge_id):
                return self.cancel(self.charge(charge_id), json.loads(body or b"{}"))
            case _:
                found = None
        return (200, found) if found else (404, _error("NOT_FOUND", "resource not found"))

    def cancel(self, charge, request):
        """Give back `amount.value` centavos of what the charge took: never more than that."""
        value = (request.get("amount") or {}).get("value")
        summary = charge["amount"]["summary"]
        if not isinstance(value, int) or value <= 0 or summary["refunded"] + value > summary["paid"]:
            return 400, _error("40002", "invalid_parameter", "amount.value")
        summary["refunded"] += value
        charge["status"] = "CANCELED"
        return 201, charge


def signed_headers(token: str, body: bytes) -> dict:
    """The notification's `x-authenticity-token`: SHA-256 of `<token>-<raw body>` (contract NOTES.md)."""
    return {"HTTP_X_AUTHENTICITY_TOKEN": hashlib.sha256(f"{token}-".encode() + body).hexdigest()}
