"""Melhor Envio's API in sandbox mode (setting LOGISTICS_SANDBOX), as contracts/README.md describes it: a
parcel put in the cart (checked as the API checks it, errors in its 422 shape), bought, its label
generated (a tracking code of Melhor Envio's own) and printed (a public link to a 10 × 15 cm PDF with the
code in Code 128), its status answered by id and found by its tracking code; and, when a test (or the
demo) advances a parcel, the notification the app's webhook would get, signed with the app's secret.
Only the token of the store's active Melhor Envio carriers (in tests: the token the sandbox is given) is
let in; the printed link is public, as the real one."""

import io
import json
import secrets
import string
import uuid
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs

from django.urls import reverse
from django.utils import timezone
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from backoffice.integrations.base import same_digest
from backoffice.integrations.sandbox import Notification, SandboxAPI
from backoffice.text import format_cep
from logistics.models import Carrier

from . import CART, CHECKOUT, DATED, GENERATE, PRINT, SAO_PAULO, SEARCH, TRACKING, api_url, signature

CONTRACTS = Path(__file__).resolve().parent / "contracts"
PRINTED = "/imprimir/"  # the public links to the labels' PDF
# The sandbox's services (only Correios and Jadlog there): Melhor Envio's id → (company, service).
SERVICES = {1: ("Correios", "PAC"), 2: ("Correios", "SEDEX"), 3: ("Jadlog", ".Package"), 4: ("Jadlog", ".Com"),
            17: ("Correios", "Mini Envios")}
# What a label costs in the sandbox: a base price and so much per started kg.
BASE_PRICE, PER_KG = Decimal("12.50"), Decimal("4.30")
# Where a parcel can be advanced to, and the event its notification carries.
EVENTS = {"posted": "order.posted", "received": "order.received", "delivered": "order.delivered",
          "undelivered": "order.undelivered", "paused": "order.paused", "suspended": "order.suspended",
          "canceled": "order.cancelled"}
TIMES = ("created_at", "paid_at", "generated_at", *(f"{status}_at" for status in DATED), "expired_at")
CODE_CHARS = string.ascii_uppercase + string.digits
LABEL_SIZE = (100 * mm, 150 * mm)


def invalid(errors: dict) -> tuple[int, dict]:
    """A refusal as the API answers one: 422, each field's messages."""
    return 422, {"message": "The given data was invalid.", "errors": errors}


def _kept(moment: datetime) -> str:
    """A moment as the sandbox keeps it (and the webhooks write it): ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _api_time(value: str | None) -> str | None:
    """A kept (ISO, UTC) time as the API writes it: São Paulo's, without an offset."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(SAO_PAULO).strftime("%Y-%m-%d %H:%M:%S")


def _number(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _party_problems(role: str, party) -> dict:
    party = party if isinstance(party, dict) else {}
    problems = {}
    for field in ("name", "address", "number", "city", "state_abbr"):
        if not str(party.get(field) or "").strip():
            problems[f"{role}.{field}"] = [f"O campo {role}.{field} é obrigatório."]
    postal_code = str(party.get("postal_code") or "")
    if not (postal_code.isdigit() and len(postal_code) == 8):
        problems[f"{role}.postal_code"] = ["O CEP informado é inválido."]
    if not (party.get("document") or party.get("company_document")):
        who = "remetente" if role == "from" else "destinatário"
        problems[f"{role}.document"] = [f"Campo CPF/CNPJ do {who} é obrigatório."]
    return problems


def problems_of(item: dict) -> dict:
    """What the API would refuse in a cart item, by field."""
    problems = {}
    if item.get("service") not in SERVICES:
        problems["service"] = ["O serviço informado não está disponível."]
    problems |= _party_problems("from", item.get("from")) | _party_problems("to", item.get("to"))
    products = item.get("products")
    if not isinstance(products, list) or not products or not all(
            isinstance(product, dict) and product.get("name") and (_number(product.get("quantity")) or 0) > 0
            and _number(product.get("unitary_value")) is not None for product in products):
        problems["products"] = ["Informe os produtos: nome, quantidade e valor unitário."]
    volumes = item.get("volumes")
    volume = volumes[0] if isinstance(volumes, list) and len(volumes) == 1 else None
    if not (isinstance(volume, dict) and all((_number(volume.get(size)) or 0) > 0
                                             for size in ("height", "width", "length", "weight"))):
        problems["volumes"] = ["Informe um volume com altura, largura, comprimento e peso."]
    elif _number(volume["weight"]) > 30:
        problems["volumes.0.weight"] = ["O peso do volume excede o limite do serviço."]
    options = item.get("options") if isinstance(item.get("options"), dict) else {}
    key = str((options.get("invoice") or {}).get("key") or "")
    if not options.get("non_commercial") and not (key.isdigit() and len(key) == 44):
        problems["options.invoice.key"] = ["A chave da nota fiscal é obrigatória para envios comerciais."]
    if _number(options.get("insurance_value")) is None:
        problems["options.insurance_value"] = ["O valor segurado é inválido."]
    return problems


def label_pdf(order: dict) -> bytes:
    """A label's 10 × 15 cm page: the company and service, the tracking code in Code 128 and as text, the
    protocol, the recipient's and the sender's addresses."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=LABEL_SIZE)
    pdf.setTitle(f"Etiqueta {order['protocol']} (sandbox)")
    width, height = LABEL_SIZE
    company, service = SERVICES[order["service_id"]]
    pdf.setFont("Helvetica-Bold", 15)
    pdf.drawString(8 * mm, height - 14 * mm, f"{company} {service}")
    pdf.setFont("Helvetica", 7)
    pdf.drawRightString(width - 8 * mm, height - 10 * mm, "Melhor Envio – SANDBOX, sem valor")
    pdf.drawRightString(width - 8 * mm, height - 14 * mm, order["protocol"])
    barcode = Code128(order["tracking"], barHeight=20 * mm, barWidth=0.4 * mm, quiet=True)
    barcode.drawOn(pdf, (width - barcode.width) / 2, height - 42 * mm)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(width / 2, height - 48 * mm, order["tracking"])
    top = height - 60 * mm
    for title, party, size in (("DESTINATÁRIO", order["to"], 10), ("Remetente", order["from"], 8)):
        street = f"{party['address']}, {party['number']} {party.get('complement') or ''}".strip()
        city = f"{format_cep(party['postal_code'])} {party['city']}/{party['state_abbr']}"
        lines = [party["name"], street, party.get("district") or "", city]
        pdf.setFont("Helvetica-Bold", size)
        pdf.drawString(8 * mm, top, title)
        pdf.setFont("Helvetica", size)
        for number, line in enumerate(lines, start=1):
            pdf.drawString(8 * mm, top - number * (size + 2), line)
        top -= (len(lines) + 2) * (size + 2) + 6 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class MelhorEnvioSandbox(SandboxAPI):
    """The account's labels (`orders`, by Melhor Envio's id), each as the API keeps it plus its times (ISO,
    UTC) and the key of its public link once printed."""

    provider = "melhorenvio"
    kinds = ("orders",)

    def token_known(self, token):
        # Compared here, in constant time: the database holds the tokens encrypted.
        carriers = Carrier.objects.filter(provider=self.provider, active=True)
        return any(same_digest(carrier.credential("token"), token) for carrier in carriers)

    def respond(self, method, path, headers, body):
        route, _, query = path.partition("?")
        if method == "GET" and route.startswith(PRINTED):
            return self.printed(route.removeprefix(PRINTED))
        if not self.bearer_ok(headers):
            return 401, {"message": "Unauthenticated."}
        if (method, route) == ("GET", SEARCH):
            return 200, self.search(parse_qs(query).get("q", [""])[0])
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            document = None
        if method != "POST" or route not in (CART, CHECKOUT, GENERATE, PRINT, TRACKING):
            return 404, {"message": "Not found."}
        if not isinstance(document, dict):
            return invalid({"body": ["O corpo da requisição não é um objeto JSON."]})
        if route == CART:
            return self.cart(document)
        ids = document.get("orders")
        if not (isinstance(ids, list) and ids and all(isinstance(order_id, str) for order_id in ids)):
            return invalid({"orders": ["Informe os envios (orders)."]})
        if route == TRACKING:
            return 200, {order_id: self.tracking_entry(self.orders[order_id]) for order_id in ids
                         if order_id in self.orders}
        if unknown := [order_id for order_id in ids if order_id not in self.orders]:
            return invalid({"orders": [f"Envio {order_id} não encontrado." for order_id in unknown]})
        if route == CHECKOUT:
            return self.checkout(ids)
        if route == GENERATE:
            return 200, {order_id: self.generate(order_id) for order_id in ids}
        return self.print_labels(ids, document.get("mode"))

    def view(self, order: dict) -> dict:
        """A label as the API answers it: its times in São Paulo's, without an offset."""
        shown = {key: value for key, value in order.items() if key != "print_key"}
        return shown | {name: _api_time(order.get(name)) for name in TIMES}

    def tracking_entry(self, order: dict) -> dict:
        entry = {"id": order["id"], "protocol": order["protocol"], "status": order["status"],
                 "tracking": order["tracking"], "melhorenvio_tracking": order["tracking"]}
        return entry | {name: _api_time(order.get(name)) for name in TIMES if name != "suspended_at"}

    def new_id(self) -> str:
        """A new label's id (Melhor Envio's are UUIDs)."""
        return str(uuid.uuid4())

    def cart(self, item: dict):
        """`POST /api/v2/me/cart`: the item kept as a pending label, priced by its weight."""
        if problems := problems_of(item):
            return invalid(problems)
        now = timezone.now()
        kilos = _number(item["volumes"][0]["weight"]).to_integral_value(rounding=ROUND_CEILING)
        order = {
            "id": self.new_id(), "protocol": f"ORD-{now:%Y%m}{secrets.randbelow(10**8):08d}",
            "service_id": item["service"], "price": f"{BASE_PRICE + PER_KG * kilos:.2f}",
            "status": "pending", "tracking": None, "self_tracking": None, "user_id": "sandbox",
            "tags": (item.get("options") or {}).get("tags") or [], "from": item["from"], "to": item["to"],
            "products": item["products"], "volumes": item["volumes"], "options": item["options"],
            **dict.fromkeys(TIMES), "created_at": _kept(now), "print_key": None,
        }
        self.orders[order["id"]] = order
        return 201, self.view(order)

    def checkout(self, ids: list[str]):
        """`POST /api/v2/me/shipment/checkout`: the pending labels bought (released)."""
        if paid := [order_id for order_id in ids if self.orders[order_id]["status"] != "pending"]:
            return invalid({"orders": [f"O envio {order_id} já foi pago." for order_id in paid]})
        now = _kept(timezone.now())
        bought = []
        for order_id in ids:
            order = self.orders[order_id] | {"status": "released", "paid_at": now}
            self.orders[order_id] = order
            bought.append(self.view(order))
        total = sum((Decimal(order["price"]) for order in bought), Decimal("0"))
        return 200, {"purchase": {"id": str(uuid.uuid4()), "protocol": f"PUR-{secrets.randbelow(10**10):010d}",
                                  "total": f"{total:.2f}", "discount": "0.00", "status": "paid",
                                  "paid_at": _api_time(now), "orders": bought}}

    def generate(self, order_id: str) -> dict:
        """One label of `POST /api/v2/me/shipment/generate`: given its tracking code, once bought."""
        order = self.orders[order_id]
        if not order["paid_at"]:
            return {"status": False, "message": "Envio não está pago."}
        if not order["generated_at"]:
            now = timezone.now()
            code = f"ME{now:%y}{''.join(secrets.choice(CODE_CHARS) for _ in range(7))}BR"
            self.orders[order_id] = order | {"generated_at": _kept(now), "tracking": code,
                                             "self_tracking": code}
        return {"status": True, "message": "Envio gerado com sucesso"}

    def print_labels(self, ids: list[str], mode):
        """`POST /api/v2/me/shipment/print`: a public link to the generated labels' PDF."""
        if mode != "public":
            return invalid({"mode": ["Só o modo público (public) é atendido pelo sandbox."]})
        if pending := [order_id for order_id in ids if not self.orders[order_id]["generated_at"]]:
            return invalid({"orders": [f"A etiqueta do envio {order_id} não foi gerada." for order_id in pending]})
        key = secrets.token_urlsafe(12)
        for order_id in ids:
            self.orders[order_id] = self.orders[order_id] | {"print_key": key}
        return 200, {"url": f"{api_url()}{PRINTED}{key}"}

    def printed(self, key: str):
        """`GET /imprimir/<key>`: the PDF of the label printed under `key` (public, no token)."""
        order = next((self.orders[order_id] for order_id in self.orders
                      if key and self.orders[order_id]["print_key"] == key), None)
        if order is None:
            return 404, {"message": "Etiqueta não encontrada."}
        return 200, label_pdf(order)

    def search(self, text: str) -> list[dict]:
        """`GET /api/v2/me/orders/search?q=`: the labels whose id, protocol or tracking code is `text`."""
        return [self.view(self.orders[order_id]) for order_id in self.orders
                if text and text in (order_id, self.orders[order_id]["protocol"], self.orders[order_id]["tracking"])]

    def advance(self, carrier: Carrier, order_id: str, status: str, *, at: datetime | None = None) -> Notification:
        """Play the parcel of label `order_id` reaching `status` (posted, delivered, undelivered …) at `at`
        (by default now): the label keeps it (and its time, when it dates it), and the notification
        Melhor Envio would send to `carrier`'s webhook is returned, in the docs' shape, signed with the
        carrier's app secret."""
        order = self.orders[order_id] | {"status": status}
        if f"{status}_at" in TIMES:
            order[f"{status}_at"] = _kept(at or timezone.now())
        self.orders[order_id] = order
        document = json.loads((CONTRACTS / "webhook_order_posted.json").read_text())
        data = {key: order.get(key) for key in document["data"] if key != "tracking_url"}
        data["tracking_url"] = f"https://www.melhorrastreio.com.br/rastreio/{order['tracking']}"
        body = json.dumps({"event": EVENTS[status], "data": data}).encode()
        headers = {"content-type": "application/json", "user-agent": "Melhor Envio Webhooks/1.0",
                   "x-me-signature": signature(carrier.credential("app_secret"), body)}
        return Notification(reverse("logistics:carrier_webhook", args=[carrier.code]), headers, body)
