"""PayPal's REST API in sandbox mode: `POST /v1/oauth2/token` (Basic client id:secret), and
with its Bearer token `GET /v2/payments/captures/{id}`, `GET /v2/checkout/orders/{id}`,
`POST /v2/payments/captures/{id}/refund` and `GET /v1/reporting/transactions`, over documents
shaped like the documented samples (payments/providers/paypal/contracts/); webhooks signed as
PayPal documents it, with the sandbox's own key and a self-signed certificate put where the
client keeps the one it fetched from paypal.com."""

import base64
import copy
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.utils import timezone

from backoffice.integrations.base import when
from backoffice.integrations.sandbox import Notification
from backoffice.money import ZERO, cents

from ...models import ProviderAccount
from ...sandbox import PaymentSandbox
from . import CERT_SECONDS, PayPal, cert_cache_key

SAMPLES = Path(__file__).resolve().parent / "contracts"
API = "https://api.paypal.com"
CERT_URL = f"{API}/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"
# What the sandbox keeps of a payment (PayPal Brasil's rate for domestic sales).
FEE_PERCENT, FEE_FIXED = Decimal("0.0479"), Decimal("0.60")


def _in_reais(document):
    """The sample with every amount in BRL (the samples are in USD)."""
    if isinstance(document, dict):
        return {key: "BRL" if key == "currency_code" else _in_reais(value) for key, value in document.items()}
    return [_in_reais(item) for item in document] if isinstance(document, list) else document


def sample_event(name: str) -> dict:
    return _in_reais(json.loads((SAMPLES / f"webhook_{name}.json").read_text()))


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


def _paypal_time(moment) -> str:
    # Transaction Search's times: "2014-07-11T04:03:52+0000".
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def _error(status, name, message, issue=None):
    document = {"name": name, "message": message, "debug_id": uuid.uuid4().hex[:13]}
    if issue:
        document["details"] = [{"issue": issue, "description": message}]
    return status, document


class PayPalSandbox(PaymentSandbox):
    """Captures and their orders (payer, captures, refunds). The OAuth2 client is `client`
    (id, secret), or any active PayPal account's."""

    provider = "paypal"
    kinds = ("captures", "orders", "tokens", "refunds_by_request")

    def __init__(self, documents=lambda kind: {}, client: tuple[str, str] | None = None):
        super().__init__(documents)
        self.client = client

    def _client_authenticated(self, authorization) -> bool:
        clients = [self.client] if self.client else [
            (account.credential("client_id"), account.credential("client_secret"))
            for account in ProviderAccount.objects.filter(provider=self.provider, active=True)]
        return any(authorization == "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
                   for client_id, secret in clients)

    def add_capture(self, capture: dict, payer: dict | None = None) -> dict:
        """Serve `capture`, and the order it belongs to (payer, captures, refunds)."""
        self.captures[capture["id"]] = capture
        order_id = capture["supplementary_data"]["related_ids"]["order_id"]
        order = self.orders.get(order_id) or {
            "id": order_id, "intent": "CAPTURE", "status": "COMPLETED",
            "payer": payer or {"name": {"given_name": "Maria", "surname": "Silva"},
                               "email_address": "maria@example.com",
                               "payer_id": "QYR5Z8XDVJNXQ", "tax_info": {"tax_id": "191.191.191-00",
                                                                          "tax_id_type": "BR_CPF"}},
            "purchase_units": [{"reference_id": "default", "payments": {"captures": [], "refunds": []}}],
        }
        order["purchase_units"][0]["payments"]["captures"].append(capture)
        self.orders[order_id] = order
        return capture

    def respond(self, method, path, headers, body):
        parts = path.split("?")[0].strip("/").split("/")
        if method == "POST" and parts == ["v1", "oauth2", "token"]:
            if not self._client_authenticated(headers.get("authorization", "")) or parse_qs(
                    body.decode()).get("grant_type") != ["client_credentials"]:
                return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
            token = f"A21AA{uuid.uuid4().hex}"
            self.tokens[token] = {"expires_in": 32400}
            return 200, {"scope": "https://uri.paypal.com/services/payments/refund", "access_token": token,
                         "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
                         "nonce": uuid.uuid4().hex}
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid credentials.")
        if method == "GET" and parts == ["v1", "reporting", "transactions"]:
            return self.transactions(parse_qs(urlsplit(path).query))
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
                    if r["links"][1]["href"].endswith(f"/captures/{capture['id']}")), ZERO)
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
        refunds.append({"id": refund_id, "status": "COMPLETED", "amount": amount, "links": links,
                        "create_time": _paypal_time(timezone.now())})
        capture["status"] = "REFUNDED" if done + Decimal(amount["value"]) == gross else "PARTIALLY_REFUNDED"
        captures = order["purchase_units"][0]["payments"]["captures"]
        captures[:] = [capture if kept["id"] == capture["id"] else kept for kept in captures]
        self.captures[capture["id"]], self.orders[order["id"]] = capture, order
        self.refunds_by_request[request_id] = answer = {"id": refund_id, "status": "COMPLETED", "links": links}
        return 201, answer

    def transactions(self, query):
        """Transaction Search over the captures and refunds kept here: 31 days at most, paged."""
        try:
            start, end = (datetime.strptime(query[name][0], "%Y-%m-%dT%H:%M:%S%z")
                          for name in ("start_date", "end_date"))
            page_size, page = int(query.get("page_size", ["100"])[0]), int(query.get("page", ["1"])[0])
        except (KeyError, ValueError):
            return _error(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates "
                          "schema.", "INVALID_PARAMETER_SYNTAX")
        if not timedelta(0) <= end - start <= timedelta(days=31) or not 1 <= page_size <= 500 or page < 1:
            return _error(400, "INVALID_REQUEST", "Date range or page is out of the allowed range.",
                          "RESULTSET_TOO_LARGE")
        rows = []
        for capture in self.captures.values():
            made = when(capture.get("create_time"))
            if capture.get("status") in ("COMPLETED", "REFUNDED", "PARTIALLY_REFUNDED") and start <= made <= end:
                fee = (capture.get("seller_receivable_breakdown") or {}).get("paypal_fee") or {"value": "0.00"}
                rows.append({"transaction_id": capture["id"], "transaction_event_code": "T0006",
                             "transaction_initiation_date": _paypal_time(made),
                             "transaction_updated_date": _paypal_time(made), "transaction_amount": capture["amount"],
                             "fee_amount": {"currency_code": capture["amount"]["currency_code"],
                                            "value": str(-Decimal(fee["value"]))},
                             "transaction_status": "S", "custom_field": capture.get("custom_id") or ""})
        for order in self.orders.values():
            for refund in order["purchase_units"][0]["payments"]["refunds"]:
                made = when(refund.get("create_time"))
                if made and start <= made <= end:
                    rows.append({"transaction_id": refund["id"], "paypal_reference_id": refund["links"][1]["href"]
                                 .rsplit("/", 1)[-1], "transaction_event_code": "T1107",
                                 "transaction_initiation_date": _paypal_time(made),
                                 "transaction_updated_date": _paypal_time(made),
                                 "transaction_amount": {"currency_code": refund["amount"]["currency_code"],
                                                        "value": str(-Decimal(refund["amount"]["value"]))},
                                 "fee_amount": {"currency_code": refund["amount"]["currency_code"], "value": "0.00"},
                                 "transaction_status": "S"})
        rows.sort(key=lambda row: when(row["transaction_initiation_date"]))
        return 200, {
            "transaction_details": [{"transaction_info": row} for row in rows[(page - 1) * page_size:page * page_size]],
            "account_number": "QYR5Z8XDVJNXQ", "start_date": query["start_date"][0], "end_date": query["end_date"][0],
            "last_refreshed_datetime": _paypal_time(timezone.now()), "page": page, "total_items": len(rows),
            "total_pages": max(1, -(-len(rows) // page_size)), "links": []}

    def pay(self, account, *, order, amount, installments, at=None):
        """A capture completed at once (PayPal's installments are the buyer's card's business)."""
        now = (at or timezone.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fee = cents(amount * FEE_PERCENT + FEE_FIXED)
        value = lambda figure: {"currency_code": "BRL", "value": str(figure)}  # noqa: E731
        capture = sample_capture(uuid.uuid4().hex[:17].upper(), order.number, uuid.uuid4().hex[:17].upper(),
                                 amount=value(amount), create_time=now, update_time=now)
        capture["seller_receivable_breakdown"] = {"gross_amount": value(amount), "paypal_fee": value(fee),
                                                  "net_amount": value(amount - fee)}
        customer = order.customer
        first, _, last = customer.name.partition(" ")
        self.add_capture(capture, payer={
            "name": {"given_name": first, "surname": last}, "email_address": customer.email,
            "payer_id": uuid.uuid4().hex[:13].upper(),
            "tax_info": {"tax_id": customer.document, "tax_id_type": "BR_CNPJ" if len(customer.document) == 14
                         else "BR_CPF"}})
        event = completed_event(capture)
        event.update(id=f"WH-{uuid.uuid4().hex[:17].upper()}", create_time=now)
        body = json.dumps(event).encode()
        install_certificate()
        # Transmitted now, whenever the payment was made (the demo pays in the past).
        headers = signed_headers(body, account.credential("webhook_id"), transmission_id=str(uuid.uuid1()))
        return Notification(account.webhook_path(),
                            {"content-type": "application/json", **headers}, body)


    def provider_payment(self, payment_id):
        capture = self.captures[payment_id]
        return PayPal().normalize(capture, self.orders[capture["supplementary_data"]["related_ids"]["order_id"]])


# The sandbox's signer: its own key, and a self-signed certificate standing in for PayPal's.
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_certificate(key=KEY, valid_from_days=-1, valid_to_days=365) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.paypal.com")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now + timedelta(days=valid_from_days))
                   .not_valid_after(now + timedelta(days=valid_to_days)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


CERTIFICATE = make_certificate()


def install_certificate(url: str = CERT_URL, pem: bytes = CERTIFICATE) -> str:
    """Put the sandbox's certificate where the client keeps the one it fetched; the cache key."""
    cache.set(cert_cache_key(url), pem, CERT_SECONDS)
    return cert_cache_key(url)


def signed_headers(body: bytes, webhook_id: str, *, key=KEY, cert_url: str = CERT_URL,
                   transmission_id: str = "69cd13f0-d67a-11e5-baa3-778b53f4ae55",
                   transmission_time: str | None = None, auth_algo: str = "SHA256withRSA",
                   message: str | None = None) -> dict:
    """The headers of a delivery signed as PayPal documents it (the message written out here
    from the contract, not taken from the client), or over `message` when given; transmitted
    at `transmission_time` (RFC 3339, as in the contract's example), by default now."""
    if transmission_time is None:
        transmission_time = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if message is None:
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xffffffff}"
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"paypal-transmission-id": transmission_id, "paypal-transmission-time": transmission_time,
            "paypal-transmission-sig": base64.b64encode(signature).decode(), "paypal-cert-url": cert_url,
            "paypal-auth-algo": auth_algo}
