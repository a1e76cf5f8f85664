"""Melhor Envio's client against its sandbox over real HTTP: a parcel shipped puts its label in the cart,
buys, generates and prints it (the PDF fetched from its public link, the tracking code from the tracking
answer); the tracking check finds the label by its code and reads its dated statuses; its webhooks are
verified as the contract says (base64 of the HMAC-SHA256 of the raw body, keyed with the app's secret)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backoffice.integrations.errors import ProviderError, WebhookIgnored, WebhookMalformed, WebhookRejected
from fiscal.models import FiscalProfile
from logistics import services
from logistics.models import Carrier, CarrierService, FreightRate, Shipment, TrackingStatus
from logistics.providers import Parcel, provider, sandbox
from logistics.providers.melhorenvio import MelhorEnvio, cart_item, reported_events, signature
from logistics.providers.melhorenvio.sandbox import CONTRACTS, MelhorEnvioSandbox
from logistics.selectors import order_invoice_of
from tests.fake_server import serve
from tests.logistics.test_documents import decoded
from tests.logistics.test_services import SAO_PAULO, scan_all

pytestmark = pytest.mark.django_db
TOKEN, SECRET = "me-app-token", "me-app-secret"
AGENT = "Loja Backoffice (ti@loja.example)"
DOCUMENTED_ID = "0000aaaa-aa00-00aa-aa00-000000aaaaaa"  # the docs' sample label


@pytest.fixture
def me_api(settings):
    """Melhor Envio's API (the sandbox's) on a local port, letting in the account's token."""
    server = serve(MelhorEnvioSandbox(token=TOKEN))
    settings.MELHORENVIO_API_URL = server.url
    yield server
    server.close()


@pytest.fixture
def melhorenvio(db):
    """The store's Melhor Envio account (the app's token and secret): SEDEX through it (Melhor Envio's
    service 2), priced by its table to São Paulo's capital."""
    carrier = Carrier.objects.create(code="melhorenvio", name="Melhor Envio", provider="melhorenvio",
                                     credentials={"token": TOKEN, "app_secret": SECRET, "email": "ti@loja.example"},
                                     tracking_url="https://www.melhorrastreio.com.br/rastreio/{code}")
    sedex = CarrierService.objects.create(carrier=carrier, code="2", name="SEDEX", handling_days=1)
    FreightRate.objects.create(service=sedex, cep_start="01000000", cep_end="05999999", weight_up_to_kg=Decimal("30"),
                               price=Decimal("24.90"), days=2)
    return {"carrier": carrier, "sedex": sedex}


@pytest.fixture
def packed(invoiced_order, melhorenvio, boxes, packer):
    """The invoiced order's parcel (0.750 kg, the small box: 25 × 18 × 8 cm), by SEDEX through Melhor Envio."""
    shipment = services.shipment_start(order=invoiced_order, service=melhorenvio["sedex"], user=packer, box=boxes[0])
    scan_all(shipment, packer)
    return services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.750"))


@pytest.fixture
def shipped(packed, packer, me_api):
    """The parcel shipped: its label bought at Melhor Envio (the sandbox's requests forgotten after)."""
    shipment = services.shipment_ship(shipment=packed, user=packer)
    me_api.requests.clear()
    return shipment


# Webhooks: the contract


def test_the_signature_is_base64_of_the_hmac_sha256_of_the_raw_body_keyed_with_the_app_secret():
    body = b'{"event":"order.delivered","data":{"id":"1"}}'
    # openssl dgst -sha256 -hmac app-secret -binary | base64, by hand.
    assert signature("app-secret", body) == "ZEUXa4cRRPDRaLsSr5Kge4iuNf3kSCoZTRdOZ9lemYI="
    account = Carrier(credentials={"app_secret": "app-secret"})
    MelhorEnvio().verify(account, headers={"x-me-signature": signature("app-secret", body)}, query={}, body=body)
    hexadecimal = "6445176b871144f0d168bb12af92a07b88ae35fde4482a194d174e67d95e9982"  # the same digest, in hex
    for carrier, headers in [(account, {}), (account, {"x-me-signature": hexadecimal}),
                             (account, {"x-me-signature": signature("another-secret", body)}),
                             (account, {"x-me-signature": signature("app-secret", body + b" ")}),
                             (Carrier(), {"x-me-signature": signature("", body)})]:
        with pytest.raises(WebhookRejected):
            MelhorEnvio().verify(carrier, headers=headers, query={}, body=body)


def test_the_documented_notification_names_its_label_and_tells_its_posting():
    body = (CONTRACTS / "webhook_order_posted.json").read_bytes()
    client = MelhorEnvio()
    assert client.resource_id(query={}, body=body) == DOCUMENTED_ID
    [posted] = client.notified_events(Carrier(), body=body, received_at=datetime(2024, 3, 30, tzinfo=UTC))
    assert (posted.code, posted.kind, posted.status, posted.tracking_code) == ("posted", "", TrackingStatus.POSTED, "")
    assert posted.occurred_at == datetime(2024, 3, 29, 23, 55, tzinfo=UTC)  # its posted_at, not its arrival


@pytest.mark.parametrize("body, refusal", [
    (b'{"event": "order.created", "data": {"id": "a1"}}', WebhookIgnored),  # the label's own life
    (b'{"event": "order.released", "data": {"id": "a1"}}', WebhookIgnored),
    (b'{"event": "order.ready-to-print", "data": {"id": "a1"}}', WebhookIgnored),
    (b'{"event": "order.posted", "data": {}}', WebhookIgnored),  # no label: Melhor Envio's test of the address
    (b'{"event": "order.posted", "data": {"id": "a b"}}', WebhookMalformed),
    (b'{"event": "shipment.posted", "data": {"id": "a1"}}', WebhookMalformed),
    (b'{"event": "order.posted", "data": {"id": "a1"', WebhookMalformed),
    (b'[]', WebhookMalformed),
])
def test_what_is_not_a_parcels_news_is_ignored_and_what_cannot_be_read_is_malformed(body, refusal):
    with pytest.raises(refusal):
        MelhorEnvio().resource_id(query={}, body=body)


def test_a_cancelled_notification_is_the_labels_canceled_status():
    body = json.dumps({"event": "order.cancelled", "data": {"id": "a1", "canceled_at": "2026-12-03T10:00:00+00:00"}})
    assert MelhorEnvio().resource_id(query={}, body=body.encode()) == "a1"
    [cancelled] = MelhorEnvio().notified_events(Carrier(), body=body.encode(), received_at=datetime.now(UTC))
    assert (cancelled.code, cancelled.status) == ("canceled", TrackingStatus.EXCEPTION)


def test_the_tracking_answer_dates_its_statuses_in_sao_paulos_time():
    [entry] = json.loads((CONTRACTS / "shipment_tracking_answer.json").read_text()).values()
    assert reported_events(entry, tracking_code="ME23002MI63BR") == []  # released: not the parcel's news yet
    posted = reported_events({**entry, "status": "posted", "posted_at": "2023-03-08 14:00:00"},
                             tracking_code="ME23002MI63BR")
    assert [(e.code, e.status, e.occurred_at) for e in posted] == [
        ("posted", TrackingStatus.POSTED, datetime(2023, 3, 8, 14, 0, tzinfo=SAO_PAULO))]


# Labels


def test_shipping_a_parcel_buys_its_label_and_keeps_its_pdf_tracking_code_and_cost(packed, packer, me_api, tmp_path):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    [order] = me_api.orders.values()
    assert shipment.status == Shipment.Status.SHIPPED
    assert (shipment.carrier_reference, shipment.tracking_code) == (order["id"], order["tracking"])
    assert shipment.tracking_code.startswith("ME") and shipment.tracking_code.endswith("BR")
    assert shipment.cost == Decimal("16.80")  # Melhor Envio's price (12,50 + 4,30 a started kg), not the table's
    assert decoded(bytes(shipment.carrier_label), 0, tmp_path) == [shipment.tracking_code]
    calls = [(method, path.split("?")[0]) for method, path, _, _ in me_api.requests]
    key = order["print_key"]
    assert calls == [("POST", "/api/v2/me/cart"), ("POST", "/api/v2/me/shipment/checkout"),
                     ("POST", "/api/v2/me/shipment/generate"), ("POST", "/api/v2/me/shipment/print"),
                     ("GET", f"/imprimir/{key}"), ("POST", "/api/v2/me/shipment/tracking")]
    assert all(headers["user-agent"] == AGENT for _, _, headers, _ in me_api.requests)
    assert [headers.get("authorization") for _, _, headers, _ in me_api.requests] == [f"Bearer {TOKEN}"] * 4 + [
        None, f"Bearer {TOKEN}"]  # the printed link is public
    item = json.loads(me_api.requests[0][3])
    invoice = order_invoice_of(shipment.order)
    assert item["service"] == 2
    store = FiscalProfile.objects.get(pk=1)
    assert (item["from"]["company_document"], item["from"]["postal_code"]) == (store.cnpj, store.cep)
    assert item["to"]["document"] == shipment.order.customer.document
    assert item["to"]["postal_code"] == shipment.order.ship_cep
    assert item["volumes"] == [{"height": 8, "width": 18, "length": 25, "weight": 0.75}]
    assert item["options"]["invoice"] == {"key": invoice.key} and item["options"]["non_commercial"] is False
    assert item["options"]["tags"] == [{"tag": str(shipment.pk), "url": None}]
    declared = shipment.order.items_total - shipment.order.discount_total
    assert item["options"]["insurance_value"] == f"{declared:.2f}"  # money as text, never a float
    assert sorted((p["name"], p["quantity"], p["unitary_value"]) for p in item["products"]) == sorted(
        (i.order_item.name, i.quantity, f"{i.order_item.unit_price:.2f}") for i in shipment.items.all())
    assert [json.loads(body) for _, _, _, body in me_api.requests[1:4]] == [
        {"orders": [order["id"]]}, {"orders": [order["id"]]}, {"mode": "public", "orders": [order["id"]]}]


def test_a_cart_item_melhor_envio_refuses_ships_nothing_and_says_why(packed, packer, me_api):
    customer = packed.order.customer
    customer.document = ""
    customer.save(update_fields=["document"])
    with pytest.raises(services.ShippingError, match="Campo CPF/CNPJ do destinatário é obrigatório"):
        services.shipment_ship(shipment=packed, user=packer)
    assert Shipment.objects.get(pk=packed.pk).status == Shipment.Status.PACKED
    assert [path for _, path, _, _ in me_api.requests] == ["/api/v2/me/cart"]  # nothing bought
    assert not me_api.orders


def test_a_service_that_is_not_melhor_envios_is_refused_before_any_call(packed, packer, melhorenvio, me_api):
    CarrierService.objects.filter(pk=melhorenvio["sedex"].pk).update(code="SEDEX")
    with pytest.raises(services.ShippingError, match="não é do Melhor Envio"):
        services.shipment_ship(shipment=packed, user=packer)
    assert me_api.requests == []


class UnfundedSandbox(MelhorEnvioSandbox):
    """A sandbox that buys the label, then does not generate it (as the API answers a label it refuses)."""

    def generate(self, order_id):
        return {"status": False, "message": "Não foi possível gerar a etiqueta."}


def test_a_label_bought_but_not_generated_is_named_for_staff_to_settle(packed, packer, settings):
    server = serve(UnfundedSandbox(token=TOKEN))
    settings.MELHORENVIO_API_URL = server.url
    try:
        with pytest.raises(services.ShippingError) as refused:
            services.shipment_ship(shipment=packed, user=packer)
    finally:
        server.close()
    [order_id] = server.orders
    assert f"A etiqueta {order_id} foi comprada" in str(refused.value)
    assert "Não foi possível gerar a etiqueta." in str(refused.value)
    assert Shipment.objects.get(pk=packed.pk).status == Shipment.Status.PACKED


def test_the_api_refuses_another_token(melhorenvio, me_api):
    carrier = melhorenvio["carrier"]
    carrier.credentials = {**carrier.credentials, "token": "someone-elses"}
    with pytest.raises(ProviderError) as refused:
        provider("melhorenvio").track(carrier, ["ME2612345BR"])
    assert refused.value.status == 401


# Tracking


def test_the_tracking_check_finds_the_label_by_its_code_and_records_its_dated_statuses(shipped, melhorenvio, me_api):
    posted_at, delivered_at = datetime(2026, 12, 2, 15, 0, tzinfo=SAO_PAULO), datetime(2026, 12, 3, 11, 20,
                                                                                        tzinfo=SAO_PAULO)
    me_api.advance(melhorenvio["carrier"], shipped.carrier_reference, "posted", at=posted_at)
    me_api.advance(melhorenvio["carrier"], shipped.carrier_reference, "delivered", at=delivered_at)
    events = provider("melhorenvio").track(melhorenvio["carrier"], [shipped.tracking_code])
    assert [(e.tracking_code, e.code, e.status, e.occurred_at) for e in events] == [
        (shipped.tracking_code, "posted", TrackingStatus.POSTED, posted_at),
        (shipped.tracking_code, "delivered", TrackingStatus.DELIVERED, delivered_at)]
    assert [(method, path) for method, path, _, _ in me_api.requests] == [
        ("GET", f"/api/v2/me/orders/search?q={shipped.tracking_code}"), ("POST", "/api/v2/me/shipment/tracking")]
    assert json.loads(me_api.requests[1][3]) == {"orders": [shipped.carrier_reference]}
    assert services.tracking_check(shipment=Shipment.objects.get(pk=shipped.pk)) == 2
    shipment = Shipment.objects.get(pk=shipped.pk)
    assert (shipment.status, shipment.delivered_at) == (Shipment.Status.DELIVERED, delivered_at)
    assert shipment.order.status == "delivered"
    assert services.tracking_check(shipment=shipment) == 0  # asked again: nothing new


def test_a_tracking_code_melhor_envio_does_not_know_has_no_events(melhorenvio, me_api):
    assert provider("melhorenvio").track(melhorenvio["carrier"], ["ME2600000000BR"]) == []
    assert [path for _, path, _, _ in me_api.requests] == ["/api/v2/me/orders/search?q=ME2600000000BR"]


def test_the_apps_sandbox_mode_keeps_labels_in_the_database_and_lets_in_its_active_carriers_tokens(melhorenvio):
    party = {"name": "Loja Teste", "document": "11222333000181", "phone": "1133334444", "email": "", "cep": "01310100",
             "street": "Avenida Paulista", "number": "1000", "complement": "", "district": "Bela Vista",
             "city": "São Paulo", "uf": "SP"}
    parcel = Parcel(reference="7", service_code="1", sender=party, recipient={**party, "document": "52998224725"},
                    weight_kg=Decimal("1.2"), length_cm=Decimal("20"), width_cm=Decimal("15"), height_cm=Decimal("10"),
                    declared_value=Decimal("99.90"), items=[{"name": "Camiseta", "quantity": 1,
                                                             "unit_value": Decimal("99.90")}])
    body = json.dumps(cart_item(parcel)).encode()
    assert sandbox("melhorenvio").handle("POST", "/api/v2/me/cart", {"Authorization": "Bearer other"}, body)[0] == 401
    status, order = sandbox("melhorenvio").handle("POST", "/api/v2/me/cart", {"Authorization": f"Bearer {TOKEN}"},
                                                  body)
    assert (status, order["status"], order["price"], order["options"]["non_commercial"]) == (201, "pending", "21.10",
                                                                                             True)
    assert list(sandbox("melhorenvio").orders) == [order["id"]]  # kept in the database, for the next request
    Carrier.objects.filter(pk=melhorenvio["carrier"].pk).update(active=False)
    assert sandbox("melhorenvio").handle("POST", "/api/v2/me/cart", {"Authorization": f"Bearer {TOKEN}"},
                                         body)[0] == 401
