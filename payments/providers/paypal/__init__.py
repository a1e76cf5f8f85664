"""PayPal: webhooks signed with PayPal's certificate (RSA-SHA256 over
`<transmission id>|<transmission time>|<webhook id>|<crc32 of the body>`, the transmission
time near now), about the captures their signed body names,
re-read from `GET /v2/payments/captures/{id}` with an OAuth2 client-credentials token
(payments/providers/paypal/contracts/NOTES.md)."""

import base64
import hashlib
import re
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from backoffice.dates import day_span
from backoffice.integrations.base import json_object, when, within_tolerance
from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import ProviderError, WebhookIgnored, WebhookMalformed, WebhookRejected
from backoffice.integrations.http import ClientCredentials, request
from backoffice.money import ZERO, cents

from .. import PaymentProvider, ProviderPayment, Release

STATUSES = {
    "COMPLETED": "approved", "PENDING": "pending", "DECLINED": "rejected", "FAILED": "rejected",
    "REFUNDED": "refunded", "PARTIALLY_REFUNDED": "partially_refunded",
}
CERT_SECONDS = 24 * 3600
# Transaction Search's event codes by their first three characters (developer.paypal.com,
# "Transaction event codes"): T00 payments, T04 bank withdrawals, T11 reversals and refunds,
# T12 adjustments (chargebacks).
EVENT_KINDS = {"T00": "payment", "T04": "withdrawal", "T11": "refund", "T12": "chargeback"}
# Transaction Search lists at most 31 days per call.
SEARCH_DAYS = 31
CAPTURE_ID = re.compile(r"[A-Za-z0-9]{1,64}")
CAPTURE_LINK = re.compile(r"/v2/payments/captures/([A-Za-z0-9]{1,64})/?$")


def _money(amount) -> Decimal:
    # PayPal sends amounts as strings ("2.51"): straight to Decimal, never through float.
    return cents(str((amount or {}).get("value") or 0))


def _up_capture(resource: dict) -> str:
    """The capture a refund belongs to: its "up" link, `.../v2/payments/captures/{id}`."""
    for link in resource.get("links") or []:
        match = CAPTURE_LINK.search(str(link.get("href") or "")) if isinstance(link, dict) else None
        if match and link.get("rel") == "up":
            return match.group(1)
    return ""


def cert_cache_key(url: str) -> str:
    return f"paypal:cert:{hashlib.sha256(url.encode()).hexdigest()}"


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
    """What PayPal signs: the CRC32 of the raw body as an unsigned decimal."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xffffffff}"


def _transmission_time(value: str) -> datetime:
    """PAYPAL-TRANSMISSION-TIME, signed: an RFC 3339 time with its offset."""
    try:
        moment = when(value)
    except ValueError as exc:
        raise WebhookRejected("the transmission time is not a time") from exc
    if moment.tzinfo is None:
        raise WebhookRejected("the transmission time has no offset")
    return moment


def certificate(url: str) -> x509.Certificate:
    """PayPal's signing certificate at `url` (https on paypal.com only), cached for a day."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError as exc:
        raise WebhookRejected("unreadable certificate URL") from exc
    if (parts.scheme != "https" or not (host == "paypal.com" or host.endswith(".paypal.com"))
            or parts.username or parts.password or port not in (None, 443)):
        raise WebhookRejected(f"certificate URL not on paypal.com: {url[:200]}")
    pem = cached = cache.get(cert_cache_key(url))
    if pem is None:
        try:
            # Once, while PayPal waits for our answer; a redirect (it could leave paypal.com) is a failure.
            pem = request("GET", url, headers={"Accept": "*/*"}, timeout=5, attempts=1).content[:65536]
        except ProviderError as exc:
            raise WebhookRejected(f"certificate not fetched: {exc}") from exc
    try:
        cert = x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise WebhookRejected("certificate not readable") from exc
    if not cert.not_valid_before_utc <= datetime.now(UTC) <= cert.not_valid_after_utc:
        raise WebhookRejected("certificate outside its validity dates")
    if cached is None:
        cache.set(cert_cache_key(url), pem, CERT_SECONDS)
    return cert


class PayPal(PaymentProvider):
    code = "paypal"
    signature_headers = ("paypal-transmission-id", "paypal-transmission-time", "paypal-transmission-sig",
                         "paypal-cert-url", "paypal-auth-algo")
    credentials = (
        CredentialField("client_id", _("client id"), secret=False, help_text=_("The REST app's client id.")),
        CredentialField("client_secret", _("secret"), help_text=_("The REST app's secret.")),
        CredentialField("webhook_id", _("webhook id"), secret=False, required=False,
                        help_text=_("The webhook listener's id, from the developer dashboard. Without it every "
                                    "notification is refused.")),
    )

    def verify(self, account, *, headers, query, body):
        transmission_id, transmission_time, sig, cert_url, algo = (headers.get(h, "") for h in self.signature_headers)
        if not (account.credential("webhook_id") and transmission_id and transmission_time and sig and cert_url):
            raise WebhookRejected("missing PayPal transmission headers")
        if algo != "SHA256withRSA":
            raise WebhookRejected(f"unexpected auth algorithm {algo[:50]!r}")
        try:
            signature = base64.b64decode(sig, validate=True)
        except ValueError as exc:
            raise WebhookRejected("transmission signature is not base64") from exc
        key = certificate(cert_url).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise WebhookRejected("certificate key is not RSA")
        message = signed_message(transmission_id, transmission_time, account.credential("webhook_id"), body)
        try:
            key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise WebhookRejected("transmission signature does not match") from exc
        within_tolerance(_transmission_time(transmission_time), "the transmission time",
                         seconds=settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS)

    def resource_id(self, *, query, body):
        document = json_object(body)
        kind, resource = document.get("event_type"), document.get("resource")
        if not isinstance(kind, str) or not isinstance(resource, dict):
            raise WebhookMalformed("not a PayPal event (event_type and resource)")
        kind_of_resource = document.get("resource_type")
        if not kind.startswith("PAYMENT.CAPTURE.") or kind_of_resource not in ("capture", "refund"):
            raise WebhookIgnored(f"{kind} ({kind_of_resource}) events are not tracked")
        if kind_of_resource == "capture":
            capture_id = str(resource.get("id") or "")
        else:  # a refund or a reversal
            capture_id = _up_capture(resource)
        if not CAPTURE_ID.fullmatch(capture_id):
            raise WebhookMalformed(f"{kind} without a capture id")
        return capture_id

    def _url(self, path):
        return f"{settings.PAYPAL_API_URL.rstrip('/')}{path}"

    def _api(self, account, method, path, **kwargs):
        """PayPal's API with the account's OAuth2 token (the client id and its secret)."""
        if not (account.credential("client_id") and account.credential("client_secret")):
            raise ProviderError("the PayPal account needs its client id and secret")
        oauth = ClientCredentials(self._url("/v1/oauth2/token"), account.credential("client_id"),
                                  account.credential("client_secret"))
        return oauth.request_json(method, self._url(path), **kwargs)

    def fetch_payment(self, account, payment_id):
        capture = self._api(account, "GET", f"/v2/payments/captures/{payment_id}")
        # The capture names neither the payer nor its refunds: its order (when it names one) does.
        order_id = str(((capture.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id") or "")
        order = self._api(account, "GET", f"/v2/checkout/orders/{order_id}") if CAPTURE_ID.fullmatch(order_id) else {}
        return self.normalize(capture, order)

    lists_releases = True

    def releases(self, account, start, end):
        """Transaction Search (`GET /v1/reporting/transactions`, the app needs its "Transaction
        search" option): the completed transactions, 31 days and 500 rows per call."""
        found, first = [], start
        while first <= end:
            last = min(end, first + timedelta(days=SEARCH_DAYS - 1))
            since, until = day_span(first, last)
            page, pages = 1, 1
            while page <= pages:
                query = urlencode({
                    "start_date": since.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "end_date": until.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "fields": "transaction_info", "page_size": 500, "page": page})
                answer = self._api(account, "GET", f"/v1/reporting/transactions?{query}")
                pages = answer.get("total_pages") if isinstance(answer.get("total_pages"), int) else 1
                found += [self._release(item.get("transaction_info") or {})
                          for item in answer.get("transaction_details") or []]
                page += 1
            first = last + timedelta(days=1)
        return sorted((r for r in found if r), key=lambda release: release.date)

    def _release(self, info: dict) -> Release | None:
        if info.get("transaction_status") != "S":  # pending, denied or reversed: no money moved
            return None
        amount, fee = info.get("transaction_amount") or {}, _money(info.get("fee_amount"))
        if amount.get("currency_code") not in (None, "BRL"):
            return None
        gross = _money(amount)
        return Release(
            date=when(info.get("transaction_initiation_date")),
            kind=EVENT_KINDS.get(str(info.get("transaction_event_code") or "")[:3], "other"),
            provider_payment_id=str(info.get("paypal_reference_id") or info.get("transaction_id") or ""),
            external_reference=str(info.get("custom_field") or info.get("invoice_id") or ""),
            gross=gross, fee=-fee, net=gross + fee, description=str(info.get("transaction_event_code") or ""),
        )

    def refund(self, account, payment_id, amount):
        answer = self._api(account, "POST", f"/v2/payments/captures/{payment_id}/refund",
                           body={"amount": {"value": str(cents(amount)), "currency_code": "BRL"}},
                           headers={"PayPal-Request-Id": str(uuid.uuid4())}, idempotent=True)
        if not answer.get("id") or answer.get("status") in ("FAILED", "CANCELLED"):
            raise ProviderError(f"PayPal refused the refund of {payment_id}: {answer.get('status')}")
        return str(answer["id"])

    def normalize(self, capture: dict, order: dict | None = None) -> ProviderPayment:
        try:
            return self._normalize(capture, order or {})
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise ProviderError(f"PayPal capture {capture.get('id')} not readable: {exc!r}") from exc

    def _normalize(self, capture, order):
        capture_id, amount = str(capture["id"]), capture.get("amount") or {}
        if amount.get("currency_code") != "BRL":
            raise ProviderError(f"PayPal capture {capture_id} is in {amount.get('currency_code')}, "
                                "the store books in BRL only")
        gross, status = _money(amount), STATUSES.get(capture.get("status"), "pending")
        breakdown = capture.get("seller_receivable_breakdown") or {}  # absent while pending
        platform = [fee.get("amount") or {} for fee in breakdown.get("platform_fees") or []]
        fee_details = ([{"type": "paypal_fee", **breakdown["paypal_fee"]}] if breakdown.get("paypal_fee") else []) + [
            {"type": "platform_fee", **fee} for fee in platform]
        fees = net = None  # None: the provider's fee rule (SettlementRule) fills them in
        if breakdown.get("net_amount") or breakdown.get("paypal_fee"):
            fees = _money(breakdown.get("paypal_fee")) + sum(map(_money, platform), ZERO)
            net = _money(breakdown["net_amount"]) if breakdown.get("net_amount") else gross - fees
        # REFUNDED means everything went back; a partial refund's amount is only in the order's refunds.
        refunds = [_money(refund.get("amount")) for unit in order.get("purchase_units") or []
                   for refund in (unit.get("payments") or {}).get("refunds") or []
                   if refund.get("status") == "COMPLETED" and _up_capture(refund) == capture_id]
        refunded = gross if status == "refunded" else min(sum(refunds, ZERO), gross)
        payer = order.get("payer") or {}
        name = payer.get("name") or {}
        paid = {"approved": capture.get("update_time") or capture.get("create_time"), "pending": None,
                "rejected": None}.get(status, capture.get("create_time"))
        return ProviderPayment(
            provider_payment_id=capture_id, status=status,
            status_detail=str((capture.get("status_details") or {}).get("reason") or "")[:100], method="paypal",
            gross=gross, fees=fees, net=net, refunded=refunded,
            fee_details=fee_details,
            paid_at=when(paid), payer_name=" ".join(filter(None, [name.get("given_name"), name.get("surname")])),
            payer_document="".join(ch for ch in str((payer.get("tax_info") or {}).get("tax_id") or "")
                                   if ch.isalnum())[:14],
            payer_email=payer.get("email_address") or "",
            external_reference=str(capture.get("custom_id") or capture.get("invoice_id") or ""),
            raw={"capture": capture, **({"order": order} if order else {})},
        )
