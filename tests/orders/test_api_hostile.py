"""Hostile bodies posted with a valid token: each one a JSON 4xx with its reason, and its inbox
row kept (as text PostgreSQL can store) and rejected with the errors. These run on SQLite and,
in CI's second pass, on PostgreSQL, where a NUL or a lone surrogate used to end in a 500."""

import json

import pytest

from backoffice.api import MAX_BODY
from orders.models import Order, OrderInbox
from tests.orders.test_api import ORDER, key, post  # noqa: F401 (key is a fixture)

pytestmark = pytest.mark.django_db

HOSTILE = {
    "a NUL byte in customer.name": json.dumps(ORDER).encode().replace(b"Maria", b"Ma\x00ria"),
    "an escaped NUL in notes": json.dumps({**ORDER, "notes": "a\x00b"}),
    "a lone surrogate in customer.name": json.dumps({**ORDER, "customer": {**ORDER["customer"], "name": "\ud800"}}),
    "a lone surrogate in notes": json.dumps({**ORDER, "notes": "x\udfffy"}),
    "a lone surrogate in a key": json.dumps({**ORDER, "\ud800": 1}),
    "a surrogate encoded in UTF-8": json.dumps(ORDER).encode().replace(b"Maria", b"M\xed\xa0\x80ria"),
    "bytes that are not UTF-8": json.dumps(ORDER).encode().replace(b"Maria", b"M\x81ria"),
    "100k nested [": "[" * 100_000,
    "100k nested [ closed": "[" * 100_000 + "]" * 100_000,
    "nesting deeper than an order": json.dumps({**ORDER, "notes": [[[[[[[[["deep"]]]]]]]]]}),
    "a number of 5000 digits": '{"items": [{"quantity": ' + "9" * 5000 + "}]}",
    "a string": json.dumps("order"),
    "null": "null",
    "nothing": "",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_body_gets_a_json_400_and_its_row_is_rejected_with_the_reason(client, key, body):
    response = post(client, body, key)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    reply = response.json()
    assert reply["error"] == "O pedido não foi aceito." and reply["errors"]
    inbox = OrderInbox.objects.get()
    assert (inbox.status, inbox.errors) == ("rejected", reply["errors"])
    assert not Order.objects.exists()


def test_nul_and_surrogates_are_refused_with_their_reason(client, key):
    response = post(client, HOSTILE["a lone surrogate in notes"], key)
    assert response.json()["errors"] == {
        "body": ["O texto não pode conter o caractere NUL nem um substituto (surrogate) UTF-16 isolado."]}


def test_a_raw_body_is_kept_with_its_nul_bytes_and_broken_utf8_escaped(client, key):
    post(client, json.dumps(ORDER).encode().replace(b"Maria", b"Ma\x00r\x81ia"), key)
    assert '"name": "Ma\\x00r\\x81ia da Silva"' in OrderInbox.objects.get().payload


def test_a_5_mb_body_gets_a_json_413_and_its_row_keeps_the_first_mebibyte(client, key):
    response = post(client, json.dumps({**ORDER, "notes": "x" * 5_000_000}), key)
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {"body": [f"O corpo da requisição tem mais de {MAX_BODY} bytes."]}
    inbox = OrderInbox.objects.get()
    assert inbox.status == "rejected" and len(inbox.payload) == MAX_BODY
    assert inbox.payload.startswith('{"channel": "web"')


def test_a_body_just_under_the_limit_is_read_and_judged_on_its_fields(client, key):
    response = post(client, json.dumps({**ORDER, "notes": "x" * (MAX_BODY - 1000)}), key)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["notes"]


@pytest.mark.postgres
@pytest.mark.parametrize("body", [HOSTILE["a NUL byte in customer.name"], HOSTILE["a lone surrogate in customer.name"]],
                         ids=["NUL", "surrogate"])
def test_on_postgresql_nul_and_surrogates_are_stored_as_rejected_rows(client, key, body):
    assert post(client, body, key).status_code == 400
    assert OrderInbox.objects.get().status == "rejected"


def test_the_api_answers_json_even_when_the_database_is_unreachable(monkeypatch):
    from django.db import OperationalError, connection
    from django.test import Client

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    client = Client(raise_request_exception=False)
    response = client.post("/api/orders/", json.dumps(ORDER), content_type="application/json",
                           HTTP_AUTHORIZATION="Token whatever")
    assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (503, "application/json", "30")
    assert response.json()["error"] == "O banco de dados não está respondendo agora. Tente de novo em um minuto."
