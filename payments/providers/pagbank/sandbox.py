"""PagBank's Orders/Charges API in sandbox mode: `GET /orders/{id}`, `GET /charges/{id}` and
`POST /charges/{id}/cancel` over documents shaped like the documented samples
(payments/providers/pagbank/contracts/), only for `Bearer <token>`; notifications authenticated
with `x-authenticity-token` as documented."""

import json
import uuid
from pathlib import Path

from django.utils import timezone

from backoffice.integrations.sandbox import Notification

from ...sandbox import PaymentSandbox
from . import PagBank, authenticity_token

SAMPLES = Path(__file__).resolve().parent / "contracts"


def _error(code, description, parameter=None):
    # PagBank's error body (developer.pagbank.com.br "Códigos de erro" of the Orders API).
    return {"error_messages": [{"code": code, "description": description,
                                **({"parameter_name": parameter} if parameter else {})}]}


def sample_order(reference_id="ex-00001", value=500, status="PAID") -> dict:
    """The documented Pix order as the API answers it (`qr_codes`, where the docs' webhook says
    `qr_code`), for `value` centavos, its charge in `status`."""
    order = json.loads((SAMPLES / "orders_webhook_pix_paid.json").read_text())
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
    text = [line for line in (SAMPLES / "charge_webhook_boleto_TRUNCATED.txt").read_text().splitlines()
            if line.startswith("{")][0]
    charge = json.loads(text[:text.index(',"notification_u')] + "}")
    charge.update(reference_id=reference_id, notification_urls=["https://loja.example/payments/webhooks/pagbank/"])
    charge["amount"].update(value=value, summary={"total": value, "paid": 0, "refunded": 0})
    return charge


def signed_headers(token: str, body: bytes) -> dict:
    """The notification's `x-authenticity-token`: SHA-256 of `<token>-<raw body>` (contract NOTES.md)."""
    return {"x-authenticity-token": authenticity_token(token, body)}


class PagBankSandbox(PaymentSandbox):
    """Orders (`orders`) and Charges API charges (`charges`); an order's charges are found too.
    Only an account's `Bearer <token>` is let in."""

    provider = "pagbank"
    kinds = ("orders", "charges")

    def _charge(self, charge_id):
        """The charge, and where it is kept: (mapping, key, top-level document, charge)."""
        if charge_id in self.charges:
            charge = self.charges[charge_id]
            return self.charges, charge_id, charge, charge
        for key in self.orders:
            order = self.orders[key]
            for charge in order.get("charges", []):
                if charge["id"] == charge_id:
                    return self.orders, key, order, charge
        return None

    def respond(self, method, path, headers, body):
        if not self.bearer_ok(headers):
            return 401, _error("UNAUTHORIZED", "Invalid credential. Review AUTHORIZATION header")
        match (method, *path.split("?")[0].strip("/").split("/")):
            case ("GET", "orders", order_id):
                found = self.orders.get(order_id)
            case ("GET", "charges", charge_id):
                found = (self._charge(charge_id) or [None])[-1]
            case ("POST", "charges", charge_id, "cancel") if self._charge(charge_id):
                return self.cancel(*self._charge(charge_id), json.loads(body or b"{}"))
            case _:
                found = None
        return (200, found) if found else (404, _error("NOT_FOUND", "resource not found"))

    def cancel(self, mapping, key, document, charge, request):
        """Give back `amount.value` centavos of what the charge took: never more than that."""
        value = (request.get("amount") or {}).get("value")
        summary = charge["amount"]["summary"]
        if not isinstance(value, int) or value <= 0 or summary["refunded"] + value > summary["paid"]:
            return 400, _error("40002", "invalid_parameter", "amount.value")
        summary["refunded"] += value
        charge["status"] = "CANCELED"
        mapping[key] = document
        return 201, charge

    def pay(self, account, *, order, amount, installments, at=None):
        """A Pix order paid at once (`installments` does not apply to Pix)."""
        document = sample_order(str(order.number), int((amount * 100).to_integral_value()))
        now = (at or timezone.now()).isoformat(timespec="milliseconds")
        document.update(id=f"ORDE_{str(uuid.uuid4()).upper()}", created_at=now)
        document["customer"].update(name=order.customer.name, email=order.customer.email,
                                    tax_id=order.customer.document)
        charge = document["charges"][0]
        charge.update(id=f"CHAR_{str(uuid.uuid4()).upper()}", reference_id=str(order.number), created_at=now,
                      paid_at=now)
        self.orders[document["id"]] = document
        # The webhook carries the order as the docs show it: its QR codes under `qr_code`.
        body = json.dumps({**{k: v for k, v in document.items() if k != "qr_codes"},
                           "qr_code": document["qr_codes"]}).encode()
        headers = signed_headers(account.credential("access_token"), body)
        return Notification(account.webhook_path(), {"content-type": "application/json", **headers}, body)

    def provider_payment(self, payment_id):
        """An order's (last) charge, or a charge by its id."""
        if payment_id in self.orders:
            order = self.orders[payment_id]
            return PagBank().normalize(order["charges"][-1], order=order)
        _, _, document, charge = self._charge(payment_id)
        return PagBank().normalize(charge, order=None if document is charge else document)
