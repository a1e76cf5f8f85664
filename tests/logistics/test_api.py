"""The freight API: a web store's checkout asks what each service charges for a cart to a CEP, with a
token; the answer is the order page's options (the same tables, cubic weight and promises), and a bad
question gets its reason in JSON."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backoffice.api import api_token_create

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
URL = "/api/freight/quote/"


@pytest.fixture
def key(db):
    return api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])[1]


def ask(client, document, key, **extra):
    body = document if isinstance(document, bytes) else json.dumps(document)
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}", **extra)


def test_a_cart_to_a_cep_gets_the_options_cheapest_first(client, key, carriers, products, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))  # a Wednesday
    response = ask(client, {"cep": "01310-100", "items": [{"sku": "CAM-AZ-M", "quantity": 2},
                                                          {"sku": "BONE-PT", "quantity": 1}]}, key)
    assert response.status_code == 200
    answer = response.json()
    assert answer["cep"] == "01310100"
    # No box fits (none active in this test) and the products have no size: the real weight,
    # 2 × 0.220 + 0.150 = 0.590 kg, in every 1 kg band to São Paulo's capital.
    assert [(o["service"], o["price"], o["days"], o["promised_on"], o["billable_weight_kg"])
            for o in answer["options"]] == [
        ("Motoboy", "0.00", 1, "2026-12-03", "0.590"),
        (".Package", "14.00", 4, "2026-12-08", "0.590"),
        ("PAC", "15.20", 5, "2026-12-09", "0.590"),
        ("SEDEX", "21.50", 2, "2026-12-04", "0.590"),
    ]


def test_a_bad_question_gets_its_reason_and_no_options(client, key, carriers, products):
    answer = ask(client, {"cep": "0131", "items": [{"sku": "NOPE", "quantity": 1}, {"sku": "CAM-AZ-M",
                                                                                   "quantity": 0}]}, key)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {"cep", "items[0]", "items[1]"}
    assert ask(client, b"{not json", key).status_code == 400
    assert ask(client, {"cep": "01310100", "items": []}, key).json()["errors"] == {
        "items": ["Envie de 1 a 100 itens."]}
    assert ask(client, [1, 2], key).status_code == 400


def test_the_api_needs_its_token_and_a_post(client, key, carriers):
    assert ask(client, {"cep": "01310100", "items": [{"sku": "CAM-AZ-M", "quantity": 1}]}, "wrong").status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION=f"Token {key}").status_code == 405
