"""Mercado Pago: webhooks signed with `x-signature` (HMAC-SHA256 over
`id:<data.id of the query>;request-id:<x-request-id>;ts:<ts>;`), which point to a payment
fetched from `GET /v1/payments/{id}` (payments/providers/mercadopago/contracts/NOTES.md). Only
the signed id is processed, and only near its ts."""

import csv
import hashlib
import hmac
import io
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backoffice.dates import day_span
from backoffice.integrations.base import json_object, same_digest, when, within_tolerance
from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import (
    ProviderError,
    ReportPending,
    WebhookIgnored,
    WebhookMalformed,
    WebhookRejected,
)
from backoffice.integrations.http import request, request_json
from backoffice.money import ZERO, cents

from .. import PaymentProvider, ProviderPayment, Release

STATUSES = {
    "pending": "pending", "in_process": "pending", "authorized": "authorized", "approved": "approved",
    "in_mediation": "in_dispute", "rejected": "rejected", "cancelled": "cancelled", "refunded": "refunded",
    "charged_back": "charged_back",
}
METHODS = {
    "credit_card": "credit_card", "debit_card": "debit_card", "ticket": "boleto", "bank_transfer": "pix",
    "account_money": "wallet", "prepaid_card": "debit_card",
}
PAYMENT_ID = re.compile(r"[0-9]{1,20}")
# A ts this large counts milliseconds (as seconds it would be past the year 5000).
MILLISECONDS = 10**11


def _money(value) -> Decimal:
    # JSON numbers arrive as floats: go through their shortest text, never binary fractions.
    return cents(str(value or 0))


# The release report's columns that move the balance besides the gross (negative: kept by Mercado Pago).
FEE_COLUMNS = ("MP_FEE_AMOUNT", "FINANCING_FEE_AMOUNT", "SHIPPING_FEE_AMOUNT", "TAXES_AMOUNT")


def _report_money(row: dict, column: str) -> Decimal:
    try:
        return cents((row.get(column) or "0").strip() or "0")
    except InvalidOperation as exc:
        raise ProviderError(f"release report: {column} is not a number ({row.get(column)!r})") from exc


def release_rows(text: str) -> list[Release]:
    """The release report's `release` lines (the balance lines, subtotals and totals are
    not movements), in the report's own column names: comma-separated, negative fees."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not {"DATE", "RECORD_TYPE", "NET_CREDIT_AMOUNT", "NET_DEBIT_AMOUNT"} <= set(reader.fieldnames or ()):
        raise ProviderError("release report: DATE, RECORD_TYPE, NET_CREDIT_AMOUNT and NET_DEBIT_AMOUNT are needed")
    releases = []
    for row in reader:
        if (row.get("RECORD_TYPE") or "").strip() != "release":
            continue
        net = _report_money(row, "NET_CREDIT_AMOUNT") - _report_money(row, "NET_DEBIT_AMOUNT")
        releases.append(Release(
            date=when(row["DATE"].strip()), kind=(row.get("DESCRIPTION") or "").strip() or "release",
            provider_payment_id=(row.get("SOURCE_ID") or "").strip(),
            external_reference=(row.get("EXTERNAL_REFERENCE") or "").strip(),
            gross=_report_money(row, "GROSS_AMOUNT"), fee=-sum((_report_money(row, c) for c in FEE_COLUMNS), ZERO),
            net=net, description=(row.get("PAYMENT_METHOD") or "").strip(),
        ))
    return releases


def _data_id(document: dict) -> str:
    """The payment a notification's body names (`data.id`), or ""."""
    data = document.get("data")
    return str(data.get("id") or "") if isinstance(data, dict) else ""


def _signed_time(ts: str) -> datetime:
    """x-signature's ts: seconds since the epoch (the docs' example and Mercado Pago's SDKs),
    read as milliseconds when it is that long (the docs' text says milliseconds)."""
    if not re.fullmatch(r"[0-9]{1,13}", ts):
        raise WebhookRejected("x-signature's ts is not a time")
    value = int(ts)
    return datetime.fromtimestamp(value / 1000 if value >= MILLISECONDS else value, UTC)


def signature_manifest(data_id: str, request_id: str, ts: str) -> str:
    parts = [("id", data_id.lower() if data_id and not data_id.isdigit() else data_id), ("request-id", request_id),
             ("ts", ts)]
    return "".join(f"{name}:{value};" for name, value in parts if value)


class MercadoPago(PaymentProvider):
    code = "mercadopago"
    signature_headers = ("x-signature", "x-request-id")
    credentials = (
        CredentialField("access_token", _("API access token"),
                        help_text=_("Your integrations → the application → production credentials.")),
        CredentialField("webhook_secret", _("webhook secret"), required=False,
                        help_text=_("Your integrations → Webhooks: the secret signature. Without it every "
                                    "notification is refused.")),
    )

    def verify(self, account, *, headers, query, body):
        """The signature, its ts, and the body naming no other payment than the signed one."""
        fields = dict(
            part.strip().split("=", 1) for part in headers.get("x-signature", "").split(",") if "=" in part
        )
        ts, v1, data_id = fields.get("ts", ""), fields.get("v1", ""), query.get("data.id", "")
        if not (account.credential("webhook_secret") and ts and v1):
            raise WebhookRejected("missing x-signature")
        if not data_id:
            # The manifest then leaves the id out: the signature would cover no payment at all.
            raise WebhookRejected("no data.id in the query: x-signature covers no payment")
        manifest = signature_manifest(data_id, headers.get("x-request-id", ""), ts)
        # A forged header may hold a lone surrogate: replaced, it simply does not match.
        expected = hmac.new(account.credential("webhook_secret").encode(), manifest.encode("utf-8", "replace"),
                            hashlib.sha256).hexdigest()
        if not same_digest(expected, v1.lower()):
            raise WebhookRejected("x-signature does not match")
        within_tolerance(_signed_time(ts), "x-signature's ts", seconds=settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS)
        try:
            claimed = _data_id(json_object(body))
        except WebhookMalformed:
            return  # resource_id refuses it as unreadable (400)
        if claimed and claimed != data_id:
            raise WebhookRejected("the body's data.id is not the signed one (the query's)")

    def resource_id(self, *, query, body):
        document = json_object(body)
        kind = document.get("type") or query.get("type")
        # The query's data.id is the one x-signature covers; verify refuses a body naming another.
        data_id = query.get("data.id") or _data_id(document)
        if not kind or not data_id:
            raise WebhookMalformed("not a Mercado Pago notification (type and data.id)")
        if kind != "payment":
            raise WebhookIgnored(f"{kind} notifications are not tracked")
        if not PAYMENT_ID.fullmatch(data_id):
            raise WebhookMalformed("data.id is not a payment id")
        return data_id

    def _url(self, path):
        return f"{settings.MERCADOPAGO_API_URL.rstrip('/')}{path}"

    def fetch_payment(self, account, payment_id):
        data = request_json("GET", self._url(f"/v1/payments/{payment_id}"),
                            headers={"Authorization": f"Bearer {account.credential('access_token')}"})
        return self.normalize(data)

    lists_releases = True

    def releases(self, account, start, end):
        """From the release report ("Dinheiro liberado") of exactly that period: generated
        on request, asynchronously — asked for once, then ReportPending until it is listed."""
        headers = {"Authorization": f"Bearer {account.credential('access_token')}"}
        period = {key: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                  for key, moment in zip(("begin_date", "end_date"), day_span(start, end), strict=True)}
        reports = request_json("GET", self._url("/v1/account/release_report/list"), headers=headers)
        ready = [report for report in reports if isinstance(report, dict)
                 and str(report.get("file_name") or "").endswith(".csv")
                 and (when(report.get("begin_date")), when(report.get("end_date"))) == (
                     when(period["begin_date"]), when(period["end_date"]))] if isinstance(reports, list) else []
        if not ready:
            request_json("POST", self._url("/v1/account/release_report"), headers=headers, body=period, idempotent=True)
            raise ReportPending(f"Mercado Pago is preparing the release report of {start} to {end}")
        latest = max(ready, key=lambda report: str(report.get("date_created") or ""))
        text = request("GET", self._url(f"/v1/account/release_report/{latest['file_name']}"), headers=headers).content
        return release_rows(text.decode("utf-8", errors="replace"))

    def refund(self, account, payment_id, amount):
        answer = request_json("POST", self._url(f"/v1/payments/{payment_id}/refunds"), body={"amount": float(amount)},
                              headers={"Authorization": f"Bearer {account.credential('access_token')}",
                                       "X-Idempotency-Key": str(uuid.uuid4())}, idempotent=True)
        return str(answer.get("id") or "")

    def normalize(self, data: dict) -> ProviderPayment:
        gross = _money(data.get("transaction_amount"))
        details = data.get("transaction_details") or {}
        collector_fees = sum((_money(fee.get("amount")) for fee in data.get("fee_details") or []
                              if fee.get("fee_payer") != "payer"), ZERO)
        # What the store receives is the provider's own figure when it gives one.
        net = (_money(details["net_received_amount"]) if details.get("net_received_amount") is not None
               else gross - collector_fees)
        fees = max(gross - net, ZERO)
        refunded = _money(data.get("transaction_amount_refunded"))
        status = STATUSES.get(data.get("status"), "pending")
        if status == "refunded" and ZERO < refunded < gross:
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
            payer_email=payer.get("email") or "", external_reference=str(data.get("external_reference") or ""),
            raw=data,
        )
