"""A local stand-in for PayPal's REST API (OAuth2 token, captures, their orders and refunds),
serving documents shaped like ../shared/contracts/paypal/, and a signer for its webhooks with
a test key and a self-signed certificate."""

import base64
import copy
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache

from payments.providers.paypal import cert_cache_key
from tests.payments.fake_server import FakeProviderAPI

# Copies of the documented samples (shared/contracts/paypal; sources in its NOTES.md).
CONTRACTS = Path(__file__).resolve().parent / "contracts" / "paypal"
API = "https://api.paypal.com"
CERT_URL = f"{API}/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"


def _in_reais(document):
    """The sample with every amount in BRL (the samples are in USD)."""
    if isinstance(document, dict):
        return {key: "BRL" if key == "currency_code" else _in_reais(value) for key, value in document.items()}
    return [_in_reais(item) for item in document] if isinstance(document, list) else document


def sample_event(name: str) -> dict:
    return _in_reais(json.loads((CONTRACTS / f"webhook_{name}.json").read_text()))


def sample_capture(capture_id: str, order_number, order_id: str = "5O190127TN364715T", **changes) -> dict:
    """The documented capture (the PAYMENT.CAPTURE.COMPLETED sample's resource: 2.51, fee 0.37,
    net 2.14) in BRL, for our order number, as GET /v2/payments/captures/{id} shows it."""
    capture = sample_event("payment_capture_completed")["resource"]
    capture.update(id=capture_id, custom_id=str(order_number),
                   supplementary_data={"related_ids": {"order_id": order_id}}, **changes)
    capture["links"] = [{"href": f"{API}/v2/payments/captures/{capture_id}", "rel": "self", "method": "GET"},
                        {"href": f"{API}/v2/payments/captures/{capture_id}/refund", "rel": "refund", "method": "POST"},
                        {"href": f"{API}/v2/checkout/orders/{order_id}", "rel": "up", "method": "GET"}]
    return capture


def completed_event(capture: dict) -> dict:
    event = sample_event("payment_capture_completed")
    event["resource"] = copy.deepcopy(capture)
    return event


def refunded_event(capture_id: str, refund_id: str = "1Y107995YT783435V") -> dict:
    event = sample_event("payment_capture_refunded")
    event["resource"].update(id=refund_id, links=[
        {"href": f"{API}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
        {"href": f"{API}/v2/payments/captures/{capture_id}", "rel": "up", "method": "GET"}])
    return event


def _error(status, name, message, issue=None):
    document = {"name": name, "message": message, "debug_id": uuid.uuid4().hex[:13]}
    if issue:
        document["details"] = [{"issue": issue, "description": message}]
    return status, document


class FakePayPal(FakeProviderAPI):
    """POST /v1/oauth2/token (Basic client id:secret); with its Bearer token, GET
    /v2/payments/captures/{id} and /v2/checkout/orders/{id}, POST .../captures/{id}/refund."""

    def __init__(self, client_id="AZ-client-id", secret="EL-app-secret"):
        self.basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self.tokens: set[str] = set()
        self.captures: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}
        self.refunds_by_request: dict[str, dict] = {}
        super().__init__()

    def add_capture(self, capture: dict) -> dict:
        """Serve `capture`, and the order it belongs to (payer, captures, refunds)."""
        self.captures[capture["id"]] = capture
        order_id = capture["supplementary_data"]["related_ids"]["order_id"]
        order = self.orders.setdefault(order_id, {
            "id": order_id, "intent": "CAPTURE", "status": "COMPLETED",
            "payer": {"name": {"given_name": "Maria", "surname": "Silva"}, "email_address": "maria@example.com",
                      "payer_id": "QYR5Z8XDVJNXQ", "tax_info": {"tax_id": "191.191.191-00", "tax_id_type": "BR_CPF"}},
            "purchase_units": [{"reference_id": "default", "payments": {"captures": [], "refunds": []}}],
        })
        order["purchase_units"][0]["payments"]["captures"].append(capture)
        return capture

    def respond(self, method, path, headers, body):
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "oauth2", "token"]:
            if headers.get("authorization") != self.basic or parse_qs(body.decode()).get("grant_type") != [
                    "client_credentials"]:
                return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
            token = f"A21AA{uuid.uuid4().hex}"
            self.tokens.add(token)
            return 200, {"scope": "https://uri.paypal.com/services/payments/refund", "access_token": token,
                         "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
                         "nonce": uuid.uuid4().hex}
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid credentials.")
        if method == "GET" and parts[:3] == ["v2", "checkout", "orders"] and len(parts) == 4:
            order = self.orders.get(parts[3])
            return (200, order) if order else _error(404, "RESOURCE_NOT_FOUND", "Order not found.",
                                                     "INVALID_RESOURCE_ID")
        is_capture = parts[:3] == ["v2", "payments", "captures"] and len(parts) > 3
        capture = self.captures.get(parts[3]) if is_capture else None
        if capture is None:
            return _error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
        if method == "GET" and len(parts) == 4:
            return 200, capture
        if method == "POST" and parts[4:] == ["refund"]:
            return self._refund(capture, headers, json.loads(body or b"{}"))
        return _error(404, "NOT_FOUND", "Not found.")

    def _refund(self, capture, headers, request):
        if (request_id := headers.get("paypal-request-id")) in self.refunds_by_request:
            return 201, self.refunds_by_request[request_id]  # the same request again: the same refund
        order = self.orders[capture["supplementary_data"]["related_ids"]["order_id"]]
        refunds = order["purchase_units"][0]["payments"]["refunds"]
        gross = Decimal(capture["amount"]["value"])
        done = sum((Decimal(r["amount"]["value"]) for r in refunds
                    if r["links"][1]["href"].endswith(f"/captures/{capture['id']}")), Decimal("0"))
        currency = capture["amount"]["currency_code"]
        amount = request.get("amount") or {"value": str(gross - done), "currency_code": currency}
        if amount.get("currency_code") != currency:
            return _error(422, "UNPROCESSABLE_ENTITY", "Currency does not match the capture's.", "CURRENCY_MISMATCH")
        if Decimal(amount["value"]) <= 0 or done + Decimal(amount["value"]) > gross:
            return _error(422, "UNPROCESSABLE_ENTITY", "The refund amount must not exceed what is left to refund.",
                          "REFUND_AMOUNT_EXCEEDED")
        refund_id = uuid.uuid4().hex[:17].upper()
        links = [{"href": f"{API}/v2/payments/refunds/{refund_id}", "rel": "self", "method": "GET"},
                 {"href": f"{API}/v2/payments/captures/{capture['id']}", "rel": "up", "method": "GET"}]
        refunds.append({"id": refund_id, "status": "COMPLETED", "amount": amount, "links": links})
        capture["status"] = "REFUNDED" if done + Decimal(amount["value"]) == gross else "PARTIALLY_REFUNDED"
        self.refunds_by_request[request_id] = answer = {"id": refund_id, "status": "COMPLETED", "links": links}
        return 201, answer


# The test signer: its own key and a self-signed certificate standing in for PayPal's.
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_certificate(key=KEY, valid_from_days=-1, valid_to_days=365) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paypal.com")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now + timedelta(days=valid_from_days))
                   .not_valid_after(now + timedelta(days=valid_to_days)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


CERTIFICATE = make_certificate()


def install_certificate(url: str = CERT_URL, pem: bytes = CERTIFICATE) -> str:
    """Put the test certificate where the provider keeps a fetched one; the cache key."""
    cache.set(cert_cache_key(url), pem, 24 * 3600)
    return cert_cache_key(url)


def signed_headers(body: bytes, webhook_id: str, *, key=KEY, cert_url: str = CERT_URL,
                   transmission_id: str = "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
                   transmission_time: str = "2016-02-18T20:01:35Z", auth_algo: str = "SHA256withRSA",
                   message: str | None = None) -> dict:
    """Django test-client headers of a delivery signed as PayPal documents it (written out
    here from the contract, not taken from the provider), or over `message` when given."""
    if message is None:
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xffffffff}"
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"HTTP_PAYPAL_TRANSMISSION_ID": transmission_id, "HTTP_PAYPAL_TRANSMISSION_TIME": transmission_time,
            "HTTP_PAYPAL_TRANSMISSION_SIG": base64.b64encode(signature).decode(),
            "HTTP_PAYPAL_CERT_URL": cert_url, "HTTP_PAYPAL_AUTH_ALGO": auth_algo}
