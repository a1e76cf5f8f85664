"""Correios (logistics/providers/correios): the client against its sandbox over real HTTP — the posting
card's token fetched once and kept in the cache, a parcel's pre-posting and its label made asynchronously,
its refusals and failures — SRO Rastro read from the real sample (its (code, type) pairs, São Paulo's times
without an offset), and the tracking check following a shipped parcel to its delivery."""

import base64
import io
import json
import re
import subprocess
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pypdfium2
import pytest
from django.core.cache import cache
from django.utils import translation
from pypdf import PdfReader

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.sandbox import Dropped
from backoffice.models import SandboxDocument
from fiscal.models import FiscalProfile
from logistics import services
from logistics.models import Shipment, TrackingEvent, TrackingStatus
from logistics.providers import Parcel, provider
from logistics.providers import correios as correios_provider
from logistics.providers.correios import (
    LABEL_DOWNLOAD,
    LABEL_ORDER,
    PRE_POSTINGS,
    TOKEN,
    TRACKING,
    Correios,
    reported_events,
    status_of,
)
from logistics.providers.correios.sandbox import CorreiosSandbox, message, s10_check_digit
from orders.models import Order
from tests.fake_server import serve
from tests.logistics.test_services import scan_all

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CREDENTIALS = {"user": "11222333000181", "access_code": "cws-access-code-7f3a", "posting_card": "0079023932",
               "contract": "9912345678"}
SAMPLE = Path(correios_provider.__file__).parent / "contracts" / "correios_srorastro_v1_objetos_DG049186226BR.json"


def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def calls(api, path: str = "") -> list[tuple[str, str]]:
    """The sandbox's requests (method, path), those to `path…` only when given."""
    return [(method, full) for method, full, _headers, _body in api.requests if full.startswith(path)]


def sent(api, path: str) -> dict:
    """The JSON body of the last request to `path`."""
    return json.loads([body for _method, full, _headers, body in api.requests if full == path][-1])


@pytest.fixture(autouse=True)
def no_kept_tokens():
    """Each test starts without a token in the cache."""
    cache.clear()


@pytest.fixture
def correios_api(settings):
    """Correios' API (the sandbox's) on a local port, letting in the CREDENTIALS account."""
    api = serve(CorreiosSandbox(account=CREDENTIALS))
    settings.CORREIOS_API_URL = api.url
    yield api
    api.close()


@pytest.fixture
def correios(carriers):
    """The Correios carrier with its contract's credentials."""
    carrier = carriers["correios"]
    carrier.credentials = CREDENTIALS
    carrier.save()
    return carrier


def parcel(**changes) -> Parcel:
    """A SEDEX parcel from the store in São Paulo to Belo Horizonte, without an NF-e (its contents declared)."""
    party = {"complement": "", "email": "", "uf": "SP", "city": "São Paulo", "district": "Bela Vista",
             "street": "Avenida Paulista", "number": "1000", "cep": "01310100"}
    fields = {
        "reference": "7", "service_code": "03220", "weight_kg": Decimal("1.2001"), "length_cm": Decimal("30"),
        "width_cm": Decimal("20.5"), "height_cm": Decimal("10"), "declared_value": Decimal("159.70"),
        "sender": {**party, "name": "Loja Exemplo Ltda", "document": "11.222.333/0001-81", "phone": "1133334444"},
        "recipient": {**party, "name": "João Souza", "document": "529.982.247-25", "phone": "(31) 98765-4321",
                      "email": "joao@example.com", "cep": "30130000", "street": "Avenida Afonso Pena",
                      "number": "100", "district": "Centro", "city": "Belo Horizonte", "uf": "MG"},
        "items": [{"name": "Camiseta azul M", "quantity": 2, "unit_value": Decimal("59.90")},
                  {"name": "Boné preto", "quantity": 1, "unit_value": Decimal("39.9")}],
    }
    return Parcel(**{**fields, **changes})


def barcodes_in(pdf: bytes) -> list[str]:
    """What zbarimg reads in the first page of `pdf`, drawn at 288 dpi."""
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        image.save(handle.name)
        read = subprocess.run(["zbarimg", "--quiet", "--raw", handle.name], capture_output=True, text=True)
    return read.stdout.split()


# Tokens


def test_the_token_is_fetched_once_and_reused_from_the_cache(correios_api, correios):
    assert Correios().track(correios, ["AB123456785BR"]) == []  # SRO-020: not known, no events
    assert provider("correios").track(correios, ["DG049186226BR"]) == []  # another client: the cache's token
    tokens = [(headers, body) for method, path, headers, body in correios_api.requests if path == TOKEN]
    assert len(tokens) == 1
    headers, body = tokens[0]
    user, card = CREDENTIALS["user"], CREDENTIALS["posting_card"]
    assert headers["authorization"] == "Basic " + base64.b64encode(
        f"{user}:{CREDENTIALS['access_code']}".encode()).decode()
    assert json.loads(body) == {"numero": card}
    (token,) = correios_api.tokens
    assert [headers["authorization"] for _method, path, headers, _body in correios_api.requests
            if path.startswith(TRACKING)] == [f"Bearer {token}"] * 2
    assert calls(correios_api, TRACKING) == [("GET", f"{TRACKING}AB123456785BR?resultado=T"),
                                             ("GET", f"{TRACKING}DG049186226BR?resultado=T")]


def test_a_token_close_to_its_expiry_is_fetched_again(correios_api, correios, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    Correios().track(correios, ["AB123456785BR"])
    time_machine.move_to(datetime(2026, 12, 3, 9, 45, tzinfo=SAO_PAULO))  # 15 min before it expires: kept
    Correios().track(correios, ["AB123456785BR"])
    assert len(calls(correios_api, TOKEN)) == 1
    time_machine.move_to(datetime(2026, 12, 3, 9, 55, tzinfo=SAO_PAULO))  # 5 min before: renewed
    Correios().track(correios, ["AB123456785BR"])
    assert len(calls(correios_api, TOKEN)) == 2
    assert len(correios_api.tokens) == 2  # the first one was still valid at Correios'


def test_a_revoked_token_is_replaced_once_and_the_call_made_again(correios_api, correios):
    Correios().track(correios, ["AB123456785BR"])
    correios_api.tokens.clear()  # Correios forgot it
    Correios().track(correios, ["AB123456785BR"])
    assert [method for method, path in calls(correios_api)] == ["POST", "GET", "GET", "POST", "GET"]
    assert len(calls(correios_api, TOKEN)) == 2


def test_credentials_correios_refuses_are_a_provider_error_in_its_words(correios_api, correios):
    correios.credentials = {**CREDENTIALS, "access_code": "wrong"}
    with pytest.raises(ProviderError, match="Usuário, código de acesso ou cartão de postagem inválido") as refused:
        Correios().track(correios, ["AB123456785BR"])
    assert refused.value.status == 401
    assert calls(correios_api, TRACKING) == []


def test_a_posting_card_of_another_contract_or_missing_credentials_are_refused(correios_api, correios):
    correios.credentials = {**CREDENTIALS, "contract": "5555"}
    with translation.override("en"), pytest.raises(ProviderError, match="is of contract 9912345678, not 5555"):
        Correios().track(correios, ["AB123456785BR"])
    correios.credentials = {"user": CREDENTIALS["user"]}
    with translation.override("en"), pytest.raises(ProviderError, match="needs its Correios user"):
        Correios().track(correios, ["AB123456785BR"])
    assert calls(correios_api, TRACKING) == []
    assert len(calls(correios_api, TOKEN)) == 1


# Labels


def test_a_parcel_without_an_nfe_is_pre_posted_with_its_contents_and_gets_its_label(correios_api, correios):
    label = Correios().label(correios, parcel())
    body = sent(correios_api, PRE_POSTINGS)
    assert {key: body[key] for key in ("codigoServico", "pesoInformado", "codigoFormatoObjetoInformado",
                                       "comprimentoInformado", "larguraInformada", "alturaInformada",
                                       "cienteObjetoNaoProibido")} == {
        "codigoServico": "03220", "pesoInformado": "1201", "codigoFormatoObjetoInformado": "2",
        "comprimentoInformado": "30", "larguraInformada": "21", "alturaInformada": "10",
        "cienteObjetoNaoProibido": "1"}  # grams and cm, rounded up
    assert "chaveNFe" not in body
    assert body["itensDeclaracaoConteudo"] == [{"conteudo": "Camiseta azul M", "quantidade": "2", "valor": "59.90"},
                                               {"conteudo": "Boné preto", "quantidade": "1", "valor": "39.90"}]
    recipient, sender = body["destinatario"], body["remetente"]
    assert (recipient["cpfCnpj"], recipient["dddCelular"], recipient["celular"], recipient["email"]) == (
        "52998224725", "31", "987654321", "joao@example.com")
    assert recipient["endereco"] == {"cep": "30130000", "logradouro": "Avenida Afonso Pena", "numero": "100",
                                     "complemento": "", "bairro": "Centro", "cidade": "Belo Horizonte", "uf": "MG"}
    assert (sender["cpfCnpj"], sender["dddTelefone"], sender["telefone"]) == ("11222333000181", "11", "33334444")
    assert "email" not in sender

    assert label.carrier_reference in correios_api.prepostagens
    assert label.tracking_code == correios_api.prepostagens[label.carrier_reference]["codigoObjeto"]
    assert label.cost is None  # the service's table prices it
    assert sent(correios_api, LABEL_ORDER) == {
        "idsPrePostagem": [label.carrier_reference], "numeroCartaoPostagem": "0079023932", "tipoRotulo": "P",
        "formatoRotulo": "ET", "imprimeRemetente": "S", "layoutImpressao": "PADRAO"}
    # Not made at the first download: asked again after a short wait.
    (receipt,) = correios_api.recibos
    assert calls(correios_api, LABEL_DOWNLOAD) == [("GET", LABEL_DOWNLOAD + receipt)] * 2
    assert barcodes_in(label.pdf) == [label.tracking_code]


def test_the_sandbox_codes_are_s10_codes_with_their_check_digit():
    assert s10_check_digit("04918622") == "6"  # DG049186226BR, the manual's sample
    assert s10_check_digit("12345678") == "5"  # 11 − 204 mod 11
    assert s10_check_digit("00000008") == "0"  # 11 − 56 mod 11 = 10: 0
    assert s10_check_digit("00000000") == "5"  # 11 − 0: 5


@pytest.fixture
def packed(invoiced_order, correios, carriers, boxes, packer, correios_api, time_machine):
    """The invoiced order's parcel in the small box (25 × 18 × 8 cm, 0.750 kg), SEDEX by Correios, packed on
    Wednesday 2026-12-02 at 10:00."""
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_start(order=invoiced_order, service=carriers["sedex"], user=packer, box=boxes[0])
    scan_all(shipment, packer)
    return services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.750"))


def test_a_parcel_shipped_by_correios_gets_its_code_pre_posting_and_label(packed, packer, correios_api, authorized):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.SHIPPED
    assert re.fullmatch(r"AB[0-9]{9}BR", shipment.tracking_code)
    assert shipment.tracking_code[10] == s10_check_digit(shipment.tracking_code[2:10])
    assert shipment.carrier_reference.startswith("PR")
    assert correios_api.prepostagens[shipment.carrier_reference]["codigoObjeto"] == shipment.tracking_code
    assert shipment.tracking_status == TrackingStatus.POSTED and shipment.next_poll_at is not None
    assert Order.objects.get(pk=packed.order_id).status == "shipped"

    body = sent(correios_api, PRE_POSTINGS)
    assert (body["codigoServico"], body["pesoInformado"], body["comprimentoInformado"], body["larguraInformada"],
            body["alturaInformada"]) == ("03220", "750", "25", "18", "8")
    assert (body["chaveNFe"], body["numeroNotaFiscal"]) == (authorized.key, str(authorized.number))
    assert "itensDeclaracaoConteudo" not in body  # the NF-e travels with it
    assert (body["destinatario"]["nome"], body["destinatario"]["cpfCnpj"], body["destinatario"]["endereco"]["cep"]) \
        == ("Maria da Silva", "39053344705", "01310100")
    profile = FiscalProfile.objects.get(pk=1)
    assert (body["remetente"]["nome"], body["remetente"]["cpfCnpj"]) == (profile.legal_name[:50], profile.cnpj)

    pdf = bytes(shipment.carrier_label)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width) / 72 * 2.54, 1), round(float(page.mediabox.height) / 72 * 2.54, 1)) \
        == (10.0, 15.0)  # cm
    text = page.extract_text()
    assert shipment.tracking_code in text and "SEDEX" in text and "Maria da Silva" in text
    assert barcodes_in(pdf) == [shipment.tracking_code]


def test_a_parcel_correios_refuses_is_a_shipping_error_and_changes_nothing(packed, packer, correios_api):
    Order.objects.filter(pk=packed.order_id).update(ship_cep="00000000")
    with pytest.raises(services.ShippingError, match=r"O CEP do destinatário \(00000000\) é inválido"):
        services.shipment_ship(shipment=packed, user=packer)
    shipment = Shipment.objects.get(pk=packed.pk)
    assert (shipment.status, shipment.tracking_code, shipment.carrier_reference, bytes(shipment.carrier_label),
            shipment.shipped_at) == (Shipment.Status.PACKED, "", "", b"", None)
    assert Order.objects.get(pk=packed.order_id).status == "invoiced"
    assert not correios_api.prepostagens and calls(correios_api, LABEL_ORDER) == []


@pytest.mark.parametrize("body", [b"[]", b"not json", json.dumps({"codigoServico": ["03220"], "remetente": "x",
                                                                   "destinatario": {"endereco": {"uf": 35}}}).encode()])
def test_the_sandbox_answers_a_malformed_pre_posting_400_in_correios_shape(correios_api, correios, body):
    Correios().track(correios, ["AB123456785BR"])  # a token
    (token,) = correios_api.tokens
    answer = httpx.post(correios_api.url + PRE_POSTINGS, content=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400
    assert set(answer.json()) == {"msgs", "date", "method", "path", "causa", "stackTrace"} and answer.json()["msgs"]
    assert not correios_api.prepostagens
    assert httpx.post(correios_api.url + PRE_POSTINGS, content=b"{}").status_code == 401  # without a token


# Tracking


def test_the_real_sample_reads_as_four_events_newest_first():
    events = reported_events(sample())
    assert [(event.code, event.kind, event.status) for event in events] == [
        ("BDE", "01", TrackingStatus.DELIVERED), ("OEC", "03", TrackingStatus.OUT_FOR_DELIVERY),
        ("RO", "01", TrackingStatus.IN_TRANSIT), ("PO", "01", TrackingStatus.POSTED)]
    delivered = events[0]
    assert delivered.occurred_at == datetime(2022, 3, 11, 17, 3, tzinfo=SAO_PAULO)
    assert delivered.occurred_at.utcoffset() == timedelta(hours=-3)
    assert delivered.occurred_at.isoformat() == "2022-03-11T17:03:00-03:00"
    assert [event.place for event in events] == ["XAPURI/AC", "SAO PAULO/SP", "BRASILIA/DF", "SAO PAULO/SP"]
    assert events[1].description == ("Objeto em rota de entrega – Aguarde envio de link para acompanhar a entrega "
                                     "em tempo real")  # its \r\n gone
    assert events[2].description == "Objeto em trânsito – Por favor, aguarde → APARECIDA DE GOIANIA/GO"
    assert {event.tracking_code for event in events} == {"DG049186226BR"}
    assert delivered.raw == sample()["objetos"][0]["eventos"][0]


def test_the_sample_served_by_the_sandbox_reads_the_same_through_the_client(correios_api, correios):
    correios_api.objetos["DG049186226BR"] = {"servico": "03220", "postadoEm": "2022-03-10T22:10:36+00:00",
                                             "peso": 0.5, "eventos": sample()["objetos"][0]["eventos"]}
    assert Correios().track(correios, ["DG049186226BR"]) == reported_events(sample())


def test_events_without_an_address_or_a_time_and_answers_that_are_not_rastro():
    events = reported_events({"objetos": [{"codObjeto": "LB000000001HK", "eventos": [
        {"codigo": "PAR", "tipo": "16", "dtHrCriado": "2026-12-01T08:00:00", "descricao": "Objeto recebido no Brasil",
         "unidade": {"tipo": "País", "endereco": {}}},
        {"codigo": "PO", "tipo": "01", "descricao": "Objeto postado"},  # no time: skipped
    ]}]})
    assert [(event.code, event.status, event.place) for event in events] == [("PAR", TrackingStatus.IN_TRANSIT, "")]
    for answer in ({}, [], {"objetos": "none"}):
        with pytest.raises(ProviderError):
            reported_events(answer)


@pytest.mark.parametrize("code,kind,status", [
    ("BDE", "01", TrackingStatus.DELIVERED), ("BDI", "01", TrackingStatus.DELIVERED),
    ("BDR", "01", TrackingStatus.DELIVERED), ("BDE", "1", TrackingStatus.DELIVERED),  # "1" is "01"
    ("BDE", "20", TrackingStatus.FAILED_ATTEMPT), ("BDI", "02", TrackingStatus.FAILED_ATTEMPT),
    ("BDE", "24", TrackingStatus.AWAITING_PICKUP), ("BDE", "23", TrackingStatus.RETURNED),
    ("BDE", "09", TrackingStatus.EXCEPTION), ("BDE", "99", TrackingStatus.EXCEPTION),  # a type not in the table
    ("OEC", "01", TrackingStatus.OUT_FOR_DELIVERY), ("OEC", "03", TrackingStatus.OUT_FOR_DELIVERY),  # by its code
    ("OEC", "09", TrackingStatus.IN_TRANSIT),  # out for delivery back to the sender
    ("RO", "01", TrackingStatus.IN_TRANSIT), ("DO", "01", TrackingStatus.IN_TRANSIT),
    ("PO", "01", TrackingStatus.POSTED), ("PO", "09", TrackingStatus.POSTED),
    ("LDI", "01", TrackingStatus.AWAITING_PICKUP), ("LDI", "14", TrackingStatus.AWAITING_PICKUP),
    ("FC", "10", TrackingStatus.IN_TRANSIT), ("FC", "01", TrackingStatus.EXCEPTION),
    ("ZZZ", "01", TrackingStatus.EXCEPTION), ("bde", " 01 ", TrackingStatus.DELIVERED),
])
def test_an_events_status_is_its_code_and_type_pair(code, kind, status):
    assert status_of(code, kind) == status


def test_the_tracking_check_follows_the_parcel_to_its_delivery(packed, packer, correios_api, time_machine):
    services.shipment_ship(shipment=packed, user=packer)
    posted = Shipment.objects.get(pk=packed.pk)

    def check(moment):
        time_machine.move_to(moment)
        shipment = Shipment.objects.get(pk=packed.pk)
        return services.tracking_check(shipment=shipment, now=moment), Shipment.objects.get(pk=packed.pk)

    start = datetime(2026, 12, 2, 10, 1, tzinfo=SAO_PAULO)
    new, shipment = check(start)
    assert (new, shipment.tracking_status, shipment.next_poll_at) == (1, TrackingStatus.POSTED,
                                                                      start + services.POLL_FIRST)
    assert abs(shipment.last_event_at - posted.shipped_at) < timedelta(seconds=5)
    new, shipment = check(start)  # nothing new: the next check waits twice as long
    assert (new, shipment.next_poll_at) == (0, start + 2 * services.POLL_FIRST)
    new, shipment = check(start + timedelta(hours=7))
    assert (new, shipment.tracking_status) == (1, TrackingStatus.IN_TRANSIT)
    new, shipment = check(start + timedelta(days=1, hours=1))
    assert (new, shipment.tracking_status) == (1, TrackingStatus.OUT_FOR_DELIVERY)
    new, shipment = check(start + timedelta(days=2))
    assert (new, shipment.status, shipment.tracking_status, shipment.next_poll_at) == (
        1, Shipment.Status.DELIVERED, TrackingStatus.DELIVERED, None)
    assert shipment.delivered_at == shipment.last_event_at
    assert shipment.delivered_at.astimezone(SAO_PAULO).strftime("%d/%m %H:%M") == "03/12 14:00"
    assert Order.objects.get(pk=packed.order_id).status == "delivered"
    assert [(event.code, event.kind, event.source, event.place) for event in TrackingEvent.objects.filter(
        shipment=packed)] == [("BDE", "01", "poll", "SAO PAULO/SP"), ("OEC", "01", "poll", "SAO PAULO/SP"),
                              ("RO", "01", "poll", "SAO PAULO/SP"), ("PO", "01", "poll", "SAO PAULO/SP")]


def test_a_failed_delivery_the_sandbox_is_told_of_is_recorded_as_such(packed, packer, correios_api):
    shipment = services.shipment_ship(shipment=packed, user=packer)
    history = correios_api.objetos[shipment.tracking_code]
    correios_api.objetos[shipment.tracking_code] = {**history, "eventos": [
        {"codigo": "BDE", "tipo": "20", "dtHrCriado": "2026-12-03T11:20:00",
         "descricao": "A entrega não pode ser efetuada - Carteiro não atendido",
         "detalhe": "Será realizada nova tentativa de entrega\r\n",
         "unidade": {"tipo": "Unidade de Distribuição", "endereco": {"cidade": "SAO PAULO", "uf": "SP"}}}]}
    assert services.tracking_check(shipment=Shipment.objects.get(pk=packed.pk)) == 1
    shipment = Shipment.objects.get(pk=packed.pk)
    assert (shipment.status, shipment.tracking_status) == (Shipment.Status.SHIPPED, TrackingStatus.FAILED_ATTEMPT)
    event = TrackingEvent.objects.get(shipment=shipment)
    assert event.occurred_at == datetime(2026, 12, 3, 11, 20, tzinfo=SAO_PAULO)
    assert event.description == ("A entrega não pode ser efetuada - Carteiro não atendido – Será realizada nova "
                                 "tentativa de entrega")


# Failures


class Failing(CorreiosSandbox):
    """The sandbox, but every call to `failing` is answered `answer`."""

    def __init__(self, failing: str, answer):
        super().__init__(account=CREDENTIALS)
        self.failing, self.answer = failing, answer

    def respond(self, method, path, headers, body):
        if path.startswith(self.failing):
            return self.answer
        return super().respond(method, path, headers, body)


UNAVAILABLE = (503, message(503, "GET", TRACKING, "Serviço indisponível."))


@pytest.fixture
def failing_api(settings):
    served = []

    def serve_failing(failing, answer):
        served.append(serve(Failing(failing, answer)))
        settings.CORREIOS_API_URL = served[-1].url
        return served[-1]

    yield serve_failing
    for api in served:
        api.close()


@pytest.mark.parametrize("answer,status", [(UNAVAILABLE, 503), ((0, Dropped()), None)])
def test_correios_down_or_dropping_the_call_is_a_provider_error_and_the_check_comes_sooner(
        failing_api, correios, carriers, consumer_order, answer, status):
    api = failing_api(TRACKING, answer)
    shipment = Shipment.objects.create(order=consumer_order, service=carriers["sedex"], status="shipped",
                                       tracking_code="AB123456785BR")
    now = datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO)
    with pytest.raises(ProviderError) as failed:
        services.tracking_check(shipment=shipment, now=now)
    assert failed.value.status == status
    assert len(calls(api, TRACKING)) == 3  # a GET is tried again, three calls in all
    assert Shipment.objects.get(pk=shipment.pk).next_poll_at == now + services.POLL_FIRST
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("failing", [PRE_POSTINGS, LABEL_ORDER, LABEL_DOWNLOAD])
def test_a_label_call_failing_is_a_provider_error(failing_api, correios, failing):
    api = failing_api(failing, (500, message(500, "POST", failing, "Erro interno.")))
    with pytest.raises(ProviderError, match="Erro interno") as failed:
        Correios().label(correios, parcel())
    assert failed.value.status == 500
    # A pre-posting is never sent twice (another code would be made); the other calls are tried again.
    assert len(calls(api, failing)) == (1 if failing == PRE_POSTINGS else 3)


# Sandbox mode


LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@LIVE
def test_in_sandbox_mode_the_app_plays_correios_for_the_real_client(settings, live_server, carriers):
    settings.LOGISTICS_SANDBOX = True
    settings.CORREIOS_API_URL = f"{live_server.url}/logistics/sandbox/correios"
    carrier = carriers["correios"]
    carrier.credentials = CREDENTIALS  # the sandbox lets in the store's Correios carriers
    carrier.save()
    label = Correios().label(carrier, parcel())
    assert PdfReader(io.BytesIO(label.pdf)).pages[0].extract_text().count(label.tracking_code) == 1
    assert [(event.code, event.status, event.place) for event in Correios().track(carrier, [label.tracking_code])] \
        == [("PO", TrackingStatus.POSTED, "SAO PAULO/SP")]
    assert set(SandboxDocument.objects.filter(provider="correios").values_list("kind", flat=True)) == {
        "tokens", "prepostagens", "recibos", "objetos"}

    settings.LOGISTICS_SANDBOX = False
    with pytest.raises(ProviderError) as off:
        Correios().track(carrier, [label.tracking_code])
    assert off.value.status == 404
