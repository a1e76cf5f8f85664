"""The CEP lookup (orders/providers/viacep): the client against ViaCEP's documented answers,
served by its sandbox on a local port, and the address form it fills — which goes on without it."""

import httpx
import pytest

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.sandbox import SandboxAPI
from backoffice.models import SandboxDocument
from orders.providers import Place, place_of
from orders.providers import sandbox as stored_sandbox
from orders.providers.viacep import ViaCep
from orders.providers.viacep.sandbox import ViaCepSandbox, document_of, keep_store_ceps, sample
from tests.fake_server import serve

SE = Place(cep="01001000", street="Praça da Sé", district="Sé", city_code="3550308", city_name="São Paulo", uf="SP")


@pytest.fixture
def viacep_api(settings):
    api = serve(ViaCepSandbox())
    settings.VIACEP_API_URL = api.url
    yield api
    api.close()


def test_the_client_reads_the_documented_cep(viacep_api):
    assert ViaCep().place("01001000") == SE
    assert [(method, path) for method, path, _headers, _body in viacep_api.requests] == [("GET", "/ws/01001000/json/")]


def test_a_cep_viacep_does_not_know_is_none_in_both_spellings_of_its_erro(viacep_api):
    assert sample("cep_unknown.json") == {"erro": "true"}
    assert ViaCep().place("99999999") is None
    viacep_api.ceps["99999998"] = {"erro": True}  # the JSON true of older answers
    assert ViaCep().place("99999998") is None


def test_the_sandbox_answers_a_malformed_cep_400_and_the_client_never_sends_one(viacep_api):
    for cep in ("0100100A", "010010001", "01001 00"):
        assert httpx.get(f"{viacep_api.url}/ws/{cep}/json/").status_code == 400
    with pytest.raises(ValueError):
        ViaCep().place("0100100")


def test_an_answer_about_another_cep_or_not_json_is_a_provider_error(viacep_api):
    viacep_api.ceps["01310100"] = sample("cep_01001000.json")
    with pytest.raises(ProviderError, match="another CEP"):
        ViaCep().place("01310100")


class Down(SandboxAPI):
    provider = "viacep"

    def respond(self, method, path, headers, body):
        return 503, "Service Unavailable"


def test_the_lookup_down_or_unreachable_is_a_provider_error_soon(settings):
    with pytest.raises(ProviderError):  # the autouse URL: a port that refuses
        ViaCep().place("01001000")
    api = serve(Down())
    settings.VIACEP_API_URL = api.url
    try:
        with pytest.raises(ProviderError, match="HTTP 503"):
            ViaCep().place("01001000")
        assert len(api.requests) == 2  # one more try, not more: staff wait with the form open
    finally:
        api.close()


def test_the_store_ceps_the_sandbox_keeps_are_shaped_like_the_documented_one(db, address):
    document = document_of(address)
    assert document.keys() == sample("cep_01001000.json").keys()
    assert document | {"logradouro": "", "bairro": "", "cep": ""} == sample("cep_01001000.json") | {
        "logradouro": "", "bairro": "", "cep": "", "complemento": "", "gia": ""}
    assert keep_store_ceps() == 1 and keep_store_ceps() == 1  # kept once
    assert stored_sandbox("viacep").ceps["01310100"]["logradouro"] == "Avenida Paulista"


def test_sandbox_mode_plays_viacep_under_the_app(client, settings, address):
    assert client.get("/orders/sandbox/viacep/ws/01001000/json/").status_code == 404  # sandbox mode off
    settings.CEP_SANDBOX = True
    assert client.get("/orders/sandbox/viacep/ws/01001000/json/").json() == sample("cep_01001000.json")
    keep_store_ceps()
    assert client.get("/orders/sandbox/viacep/ws/01310100/json/").json()["bairro"] == "Bela Vista"
    assert client.get("/orders/sandbox/viacep/ws/99999999/json/").json() == {"erro": "true"}
    assert client.get("/orders/sandbox/viacep/ws/0131/json/").status_code == 400
    assert client.get("/orders/sandbox/nope/ws/01001000/json/").status_code == 404
    assert SandboxDocument.objects.filter(provider="viacep").count() == 1


def _fill(client, cep, **typed):
    return client.get("/orders/customers/address-fields/", {"from_cep": "1", "address-cep": cep, **typed})


def test_the_cep_fills_street_district_uf_and_city_which_stay_editable(client_as, viacep_api):
    response = _fill(client_as("staff"), "01001-000", **{"address-street": "", "address-uf": ""})
    html = response.content.decode()
    assert 'name="address-street" value="Praça da Sé"' in html and 'name="address-district" value="Sé"' in html
    assert '<option value="SP" selected>' in html and '<option value="3550308" selected>' in html
    assert "readonly" not in html and "disabled" not in html
    assert 'data-testid="cep-note"' not in html and "HX-Retarget" not in response


def test_a_cep_the_lookup_does_not_know_fills_the_uf_and_leaves_the_street_being_typed(client_as, viacep_api):
    response = _fill(client_as("staff"), "20040-002", **{"address-street": "Rua da Assembl"})
    html = response.content.decode()
    assert '<option value="RJ" selected>' in html and "A consulta de CEP não conhece este CEP" in html
    # Only the UF and city are replaced: the street typed while the lookup was asked is not.
    assert response["HX-Retarget"] == "#address-city" and "address-street" not in html


def test_the_lookup_down_fills_the_uf_with_a_note_never_an_error_page(client_as):
    response = _fill(client_as("staff"), "01001-000")
    html = response.content.decode()
    assert response.status_code == 200 and '<option value="SP" selected>' in html
    assert "A consulta de CEP não está respondendo" in html and response["HX-Retarget"] == "#address-city"


def test_no_lookup_configured_fills_the_uf_as_before(client_as, settings, viacep_api):
    settings.CEP_LOOKUP = ""
    assert place_of("01001000") is None
    html = _fill(client_as("staff"), "01001-000").content.decode()
    assert '<option value="SP" selected>' in html and "Praça da Sé" not in html and "cep-note" not in html
    assert viacep_api.requests == []


def test_a_customer_registered_with_the_filled_address_keeps_it(client_as, viacep_api):
    from orders.models import Customer
    from tests.orders.test_screens import CUSTOMER

    client = client_as("staff")
    html = _fill(client, "01001-000").content.decode()
    assert "Praça da Sé" in html
    client.post("/orders/customers/new/", {**CUSTOMER, "address-cep": "01001-000", "address-street": "Praça da Sé",
                                           "address-district": "Sé", "address-number": "1"})
    address = Customer.objects.get().addresses.get()
    assert (address.street, address.district, address.city_id) == ("Praça da Sé", "Sé", "3550308")


def test_a_cep_in_other_scripts_digits_is_no_cep_and_asks_no_one(client_as, viacep_api):
    response = _fill(client_as("staff"), "٠١٠٠١٠٠٠")  # 01001000 in Arabic-Indic digits
    assert response.status_code == 200 and viacep_api.requests == []
