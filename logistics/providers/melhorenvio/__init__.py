"""Melhor Envio, the freight hub (one account buys the labels of Correios, Jadlog, Loggi …), through its
API v2 as contracts/README.md describes it: a parcel put in the cart (`POST /api/v2/me/cart`: its service,
parties, products, volume and NF-e), bought from the account's wallet (`/shipment/checkout`), its label
generated (`/shipment/generate`) and printed (`/shipment/print`: a public link to the PDF, fetched); its
status by Melhor Envio's order id (`/shipment/tracking`, the id found by the tracking code with
`/orders/search`); and its webhooks — every change in the life of a label the same app made, signed with
the app's secret (`X-ME-Signature`: base64 of the HMAC-SHA256 of the raw body)."""

import base64
import hashlib
import hmac
import re
from datetime import datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.integrations.base import json_object, same_digest
from backoffice.integrations.credentials import CredentialField
from backoffice.integrations.errors import ProviderError, WebhookIgnored, WebhookMalformed, WebhookRejected
from backoffice.integrations.http import request
from logistics.models import TrackingStatus

from .. import CarrierProvider, Label, ReportedEvent

CART = "/api/v2/me/cart"
CHECKOUT = "/api/v2/me/shipment/checkout"
GENERATE = "/api/v2/me/shipment/generate"
PRINT = "/api/v2/me/shipment/print"
TRACKING = "/api/v2/me/shipment/tracking"
SEARCH = "/api/v2/me/orders/search"
# Every call names the app and a technical contact (the API refuses calls without a User-Agent).
APP_NAME = "Loja Backoffice"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Melhor Envio's ids of its orders (labels): UUIDs.
ORDER_ID = re.compile(r"[\w-]{1,100}", re.ASCII)

S = TrackingStatus
# What a label's status says of its parcel (its webhooks are `order.<status>`). The others — created,
# pending (back in the cart), released (paid), generated, ready-to-print — are the label's own life before
# the parcel leaves. `received`: at a Pegaki drop-off point; `paused`: the delivery waits for the recipient.
STATUSES = {"posted": S.POSTED, "received": S.IN_TRANSIT, "delivered": S.DELIVERED, "undelivered": S.FAILED_ATTEMPT,
            "paused": S.EXCEPTION, "suspended": S.EXCEPTION, "canceled": S.EXCEPTION}
# The statuses a label dates (its `<status>_at`): each one present is an event.
DATED = ("posted", "delivered", "canceled", "suspended")


def api_url() -> str:
    return settings.MELHORENVIO_API_URL.rstrip("/")


def signature(secret: str, body: bytes) -> str:
    """The `X-ME-Signature` of `body`: base64 of its HMAC-SHA256 keyed with the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def status_name(value) -> str:
    """A label's status as the API writes it: the webhooks' `order.cancelled` is the label's `canceled`."""
    name = str(value or "").strip().lower()
    return "canceled" if name == "cancelled" else name


def moment(value) -> datetime | None:
    """A label's time: ISO 8601 with an offset (its webhooks), or "2022-03-29 20:43:37" in São Paulo's
    time (the API's answers); None when it has none."""
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed.replace(tzinfo=SAO_PAULO) if parsed.tzinfo is None else parsed


def reported_events(label: dict, *, tracking_code: str, status: str = "", undated: datetime | None = None
                    ) -> list[ReportedEvent]:
    """The events a label's document tells (a webhook's `data`, an entry of the tracking answer): each
    status it dates, and `status` (the one notified) dated by the label or, when it does not date it,
    `undated` (no event then, without one). The same status at the same moment, whichever way it was
    told, is one event."""
    codes = [code for code in DATED if moment(label.get(f"{code}_at"))]
    if status in STATUSES and status not in codes and undated is not None:
        codes.append(status)
    return [ReportedEvent(tracking_code=tracking_code, occurred_at=moment(label.get(f"{code}_at")) or undated,
                          code=code, kind="", status=STATUSES[code], raw=label) for code in codes]


def _messages(document) -> str:
    """What a Melhor Envio answer says went wrong: its `errors` (field → messages), `message` or `error`."""
    if not isinstance(document, dict):
        return ""
    found = []
    errors = document.get("errors")
    if isinstance(errors, dict):
        for messages in errors.values():
            found += messages if isinstance(messages, list) else [messages]
    found = found or [document.get("message") or document.get("error") or ""]
    return "; ".join(" ".join(str(text).split()) for text in found if text)


def answer_of(response):
    """A Melhor Envio answer's JSON; ProviderError (with Melhor Envio's own words) when the call failed."""
    try:
        document = response.json() if response.content.strip() else {}
    except ValueError:
        document = None
    if not response.is_success:
        raise ProviderError(_("Melhor Envio answered %(status)s: %(messages)s") % {
            "status": response.status_code, "messages": _messages(document) or response.reason_phrase},
            status=response.status_code)
    if document is None:
        raise ProviderError(_("Melhor Envio's answer is not JSON"), status=response.status_code)
    return document


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _ceiling(value: Decimal) -> int:
    return int(Decimal(value).to_integral_value(rounding=ROUND_CEILING))


def _party(party: dict) -> dict:
    """A sender or a recipient as a cart item holds one: a CNPJ as `company_document`, a CPF as `document`."""
    document = "".join(ch for ch in party["document"] if ch.isalnum()).upper()
    return {
        "name": party["name"], "phone": "".join(ch for ch in party.get("phone") or "" if ch.isdigit()),
        "email": party.get("email") or "", ("company_document" if len(document) == 14 else "document"): document,
        "address": party["street"], "number": party["number"], "complement": party["complement"],
        "district": party["district"], "city": party["city"], "state_abbr": party["uf"].upper(),
        "country_id": "BR", "postal_code": "".join(ch for ch in party["cep"] if ch.isdigit()),
    }


def cart_item(parcel) -> dict:
    """The cart item of `parcel` (a logistics.providers.Parcel): its service (Melhor Envio's id of it:
    1 PAC, 2 SEDEX, 3 Jadlog .Package …), parties, products, one volume (whole cm, kg), insured for its
    declared value, with its NF-e's key — or, without one, as a non-commercial shipment (a declaration of
    its contents) —, tagged with our reference. Money goes as text ("58.80"), never a float."""
    if not parcel.service_code.isdigit():
        raise ProviderError(_("Service %(code)s is not one of Melhor Envio's (their ids are numbers: 1 PAC, 2 SEDEX, "
                              "3 Jadlog .Package …).") % {"code": parcel.service_code})
    options = {"insurance_value": _money(parcel.declared_value), "receipt": False, "own_hand": False,
               "reverse": False, "non_commercial": not parcel.invoice_key, "platform": APP_NAME,
               "tags": [{"tag": parcel.reference, "url": None}]}
    if parcel.invoice_key:
        options["invoice"] = {"key": parcel.invoice_key}
    return {
        "service": int(parcel.service_code), "from": _party(parcel.sender), "to": _party(parcel.recipient),
        "products": [{"name": item["name"], "quantity": int(item["quantity"]),
                      "unitary_value": _money(item["unit_value"])} for item in parcel.items],
        "volumes": [{"height": _ceiling(parcel.height_cm), "width": _ceiling(parcel.width_cm),
                     "length": _ceiling(parcel.length_cm), "weight": float(parcel.weight_kg)}],
        "options": options,
    }


class MelhorEnvio(CarrierProvider):
    """The Melhor Envio account of a carrier (its credentials: the account's token for the app, and the
    app's secret, which signs the webhooks); the API's address is settings.MELHORENVIO_API_URL."""

    code = "melhorenvio"
    signature_headers = ("x-me-signature",)
    notifies = True  # its webhooks report the labels' changes (logistics.notifications)
    credentials = (
        CredentialField("token", gettext_lazy("access token"),
                        help_text=gettext_lazy("The account's OAuth2 token for the app (scopes cart-write, "
                                               "shipping-checkout, shipping-generate, shipping-print, "
                                               "shipping-tracking, orders-read). Webhooks come only for labels "
                                               "made with the app's token, not with a personal one.")),
        CredentialField("app_secret", gettext_lazy("app secret"), required=False,
                        help_text=gettext_lazy("Integrations → Dev area: the secret of the app the webhook is "
                                               "registered in; it signs the notifications (without it they are "
                                               "refused).")),
        CredentialField("email", gettext_lazy("technical contact e-mail"), secret=False, required=False,
                        help_text=gettext_lazy("Melhor Envio asks every call to name a technical contact (the "
                                               "store's sender address when empty).")),
    )

    def verify(self, account, *, headers, query, body):
        secret, received = account.credential("app_secret"), headers.get("x-me-signature", "").strip()
        if not secret:
            raise WebhookRejected("the carrier has no app secret to check X-ME-Signature")
        if not received:
            raise WebhookRejected("missing X-ME-Signature")
        if not same_digest(signature(secret, body), received):
            raise WebhookRejected("X-ME-Signature does not match")

    def resource_id(self, *, query, body):
        document = json_object(body)
        data = document.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            # Authentic, about no label: Melhor Envio's test of the address as the webhook is registered.
            raise WebhookIgnored("no label in it")
        event, match = document.get("event"), ORDER_ID.fullmatch(str(data["id"]))
        if not (isinstance(event, str) and event.startswith("order.") and match):
            raise WebhookMalformed("not a Melhor Envio notification (an order.<status> event of a label)")
        if status_name(event.removeprefix("order.")) not in STATUSES:
            raise WebhookIgnored(f"{event}: the label's own life, not its parcel's")
        return match[0]

    def notified_events(self, carrier, *, body: bytes, received_at: datetime) -> list[ReportedEvent]:
        """The events an (authentic) notification tells of its parcel; `received_at` dates the one the
        label does not date (when the notification first arrived). WebhookMalformed when it is none."""
        document = json_object(body)
        data, event = document.get("data"), document.get("event")
        if not (isinstance(data, dict) and isinstance(event, str)):
            raise WebhookMalformed("not a Melhor Envio notification (an order.<status> event of a label)")
        tracking_code = str(data.get("tracking") or data.get("self_tracking") or "")
        return reported_events(data, tracking_code=tracking_code, status=status_name(event.removeprefix("order.")),
                               undated=received_at)

    def _agent(self, carrier) -> str:
        return f"{APP_NAME} ({carrier.credential('email') or settings.DEFAULT_FROM_EMAIL})"

    def _call(self, carrier, method: str, path: str, *, body=None, idempotent: bool | None = None):
        token = carrier.credential("token")
        if not token:
            raise ProviderError(_("%(carrier)s needs its Melhor Envio token.") % {"carrier": carrier})
        return answer_of(request(method, f"{api_url()}{path}", body=body, idempotent=idempotent, check=False,
                                 headers={"Authorization": f"Bearer {token}", "User-Agent": self._agent(carrier)}))

    def label(self, carrier, parcel):
        """The parcel put in the cart, bought, its label generated and printed; its tracking code from the
        tracking answer. A failure once it is bought names the label, which the account paid for."""
        item = self._call(carrier, "POST", CART, body=cart_item(parcel))
        order_id = str(item.get("id") or "") if isinstance(item, dict) else ""
        if not ORDER_ID.fullmatch(order_id):
            raise ProviderError(_("Melhor Envio gave the cart item no id."))
        self._call(carrier, "POST", CHECKOUT, body={"orders": [order_id]})
        try:
            pdf, tracking_code = self._printed(carrier, order_id)
        except ProviderError as exc:
            raise ProviderError(_("Label %(order)s was bought, but %(error)s. Generate or cancel it in Melhor "
                                  "Envio's panel.") % {"order": order_id, "error": exc}, status=exc.status) from exc
        try:
            cost = Decimal(str(item.get("price")))
        except InvalidOperation:
            cost = None
        return Label(tracking_code=tracking_code, carrier_reference=order_id, pdf=pdf,
                     cost=cost if cost is not None and cost.is_finite() and cost >= 0 else None)

    def _printed(self, carrier, order_id: str) -> tuple[bytes, str]:
        """The bought label generated, its PDF (from the public link printing gives) and its tracking code."""
        generated = self._call(carrier, "POST", GENERATE, body={"orders": [order_id]})
        outcome = generated.get(order_id) if isinstance(generated, dict) else None
        if not (isinstance(outcome, dict) and outcome.get("status")):
            raise ProviderError(_("the label was not generated: %(message)s") % {
                "message": _messages(outcome) or _("no answer for it")})
        link = self._call(carrier, "POST", PRINT, body={"mode": "public", "orders": [order_id]})
        url = str(link.get("url") or "") if isinstance(link, dict) else ""
        if not url.startswith(("https://", "http://")):
            raise ProviderError(_("printing gave no link to the label"))
        pdf = request("GET", url, headers={"Accept": "application/pdf", "User-Agent": self._agent(carrier)}).content
        if not pdf.startswith(b"%PDF-"):
            raise ProviderError(_("the label's link gave no PDF"))
        tracked = self._call(carrier, "POST", TRACKING, body={"orders": [order_id]}, idempotent=True)
        entry = tracked.get(order_id) if isinstance(tracked, dict) else None
        tracking_code = str(entry.get("tracking") or "") if isinstance(entry, dict) else ""
        if not tracking_code:
            raise ProviderError(_("the label has no tracking code yet"))
        return pdf, tracking_code

    def track(self, carrier, tracking_codes):
        """The dated statuses of each parcel: its label found by its tracking code, then its status."""
        labels = {}
        for code in tracking_codes:
            found = self._call(carrier, "GET", f"{SEARCH}?q={quote(code, safe='')}")
            for order in found if isinstance(found, list) else []:
                if isinstance(order, dict) and code in (order.get("tracking"), order.get("self_tracking")):
                    labels[str(order.get("id"))] = code
        if not labels:
            return []
        answer = self._call(carrier, "POST", TRACKING, body={"orders": list(labels)}, idempotent=True)
        events = []
        for order_id, code in labels.items():
            entry = answer.get(order_id) if isinstance(answer, dict) else None
            if isinstance(entry, dict):
                events += reported_events(entry, tracking_code=code)
        return events
