"""Mercado Pago's API in sandbox mode: `GET /v1/payments/{id}`, `POST
/v1/payments/{id}/refunds` and the release report (`/v1/account/release_report…`) over
documents shaped like the documented samples (payments/providers/mercadopago/contracts/), only
for an account's `Bearer <access token>`; webhooks signed with `x-signature` as documented."""

import csv
import hashlib
import hmac
import io
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from backoffice.integrations.base import when
from backoffice.integrations.sandbox import Notification
from backoffice.money import cents

from ...sandbox import PaymentSandbox
from . import MercadoPago, signature_manifest

SAMPLES = Path(__file__).resolve().parent / "contracts"
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
                   ts: str | None = None) -> dict:
    """The headers of a notification about `data_id`, signed with the webhook's secret at `ts`
    (seconds, as in the docs' example; by default now: the receiver refuses an old ts)."""
    ts = str(int(time.time())) if ts is None else ts
    manifest = signature_manifest(data_id, request_id, ts)
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}


def notification(account, data_id: str) -> Notification:
    body = json.loads((SAMPLES / "webhook_notification_payment.json").read_text())
    body.update(id=_new_id(), live_mode=False, date_created=timezone.now().isoformat(timespec="milliseconds"))
    body["data"]["id"] = data_id
    headers = signed_headers(account.credential("webhook_secret"), data_id, str(uuid.uuid4()))
    return Notification(f"{account.webhook_path()}?data.id={data_id}&type=payment",
                        {"content-type": "application/json", **headers}, json.dumps(body).encode())


REPORT_COLUMNS = ["DATE", "SOURCE_ID", "EXTERNAL_REFERENCE", "RECORD_TYPE", "DESCRIPTION", "NET_CREDIT_AMOUNT",
                  "NET_DEBIT_AMOUNT", "GROSS_AMOUNT", "MP_FEE_AMOUNT", "FINANCING_FEE_AMOUNT", "SHIPPING_FEE_AMOUNT",
                  "TAXES_AMOUNT", "COUPON_AMOUNT", "INSTALLMENTS", "PAYMENT_METHOD"]


def _figure(value) -> str:
    return f"{Decimal(str(value)):.2f}"


class MercadoPagoSandbox(PaymentSandbox):
    """Payments (`payments`), and release reports (`reports`, their CSV in `report_files`)
    made from the payments released and the refunds made in their period."""

    provider = "mercadopago"
    kinds = ("payments", "reports", "report_files")

    def respond(self, method, path, headers, body):
        if not self.bearer_ok(headers):
            return 401, {"message": "invalid_token", "status": 401}
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:3] == ["v1", "account", "release_report"]:
            return self.release_report(method, parts[3:], body)
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
            refund_id = _new_id()
            payment.setdefault("refunds", []).append({"id": refund_id, "amount": amount,
                                                      "date_created": timezone.now().isoformat()})
            self.payments[parts[2]] = payment
            return 201, {"id": refund_id, "payment_id": payment["id"], "amount": amount, "status": "approved"}
        return 200, payment

    def release_report(self, method, rest, body):
        """POST: make the report of a period (202); GET list: the reports made; GET <file>: its CSV."""
        if method == "POST" and not rest:
            period = json.loads(body or b"{}")
            begin, end = when(period.get("begin_date")), when(period.get("end_date"))
            if not (begin and end and begin <= end):
                return 400, {"message": "begin_date and end_date are required", "status": 400}
            file_name = f"release-report-{begin:%Y-%m-%d}-{end:%Y-%m-%d}-{_new_id()}.csv"
            self.report_files[file_name] = {"csv": self._report_csv(begin, end)}
            self.reports[file_name] = {"file_name": file_name, "begin_date": period["begin_date"],
                                       "end_date": period["end_date"], "created_from": "manual",
                                       "date_created": timezone.now().isoformat(), "status": "processed"}
            return 202, {}
        if method == "GET" and rest == ["list"]:
            return 200, list(self.reports.values())
        if method == "GET" and len(rest) == 1 and rest[0] in self.report_files:
            return 200, self.report_files[rest[0]]["csv"]
        return 404, {"message": "not_found", "status": 404}

    def _report_csv(self, begin, end) -> str:
        rows = []
        for payment in self.payments.values():
            released = when(payment.get("money_release_date"))
            if payment.get("status") in ("approved", "refunded") and released and begin <= released <= end:
                net = Decimal(str(payment["transaction_details"]["net_received_amount"]))
                fee = Decimal(str(payment["transaction_amount"])) - net  # all that Mercado Pago kept
                rows.append([released.isoformat(), payment["id"], payment.get("external_reference") or "", "release",
                             "payment", _figure(net), "0.00",
                             _figure(payment["transaction_amount"]), _figure(-fee), "0.00", "0.00", "0.00", "0.00",
                             payment.get("installments") or 1, payment.get("payment_method_id") or ""])
            for refund in payment.get("refunds") or []:
                made = when(refund.get("date_created"))
                if made and begin <= made <= end:
                    rows.append([made.isoformat(), payment["id"], payment.get("external_reference") or "", "release",
                                 "refund", "0.00", _figure(refund["amount"]), _figure(-refund["amount"]), "0.00",
                                 "0.00", "0.00", "0.00", "0.00", 1, payment.get("payment_method_id") or ""])
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(sorted(rows, key=lambda row: when(row[0])))
        return text.getvalue()

    def pay(self, account, *, order, amount, installments, at=None):
        """An approved credit-card payment in `installments`, its fee kept by the provider."""
        now = at or timezone.now()
        fee = cents(amount * CARD_FEE)
        payment = sample_payment(
            id=_new_id(), external_reference=str(order.number), transaction_amount=float(amount),
            installments=installments, date_created=now.isoformat(), date_approved=now.isoformat(),
            date_last_updated=now.isoformat(), money_release_date=(now + timedelta(days=14)).isoformat(),
            fee_details=[{"type": "mercadopago_fee", "amount": float(fee), "fee_payer": "collector"}],
        )
        payment["transaction_details"].update(
            net_received_amount=float(amount - fee), total_paid_amount=float(amount),
            installment_amount=float(cents(amount / installments)))
        first, _, last = order.customer.name.partition(" ")
        payment["payer"].update(email=order.customer.email, first_name=first, last_name=last,
                                identification={"number": order.customer.document,
                                                "type": "CNPJ" if len(order.customer.document) == 14 else "CPF"})
        self.payments[str(payment["id"])] = payment
        return notification(account, str(payment["id"]))

    def provider_payment(self, payment_id):
        return MercadoPago().normalize(self.payments[payment_id])
