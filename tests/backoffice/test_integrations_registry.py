"""The integration kit's registry: an app lists its providers once, and a model field's choices, the
client of a code and its sandbox are all read from that list — so a provider written as one folder
and registered is found by all three, with no change to the field."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from backoffice.integrations.base import Provider
from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import request_json
from backoffice.integrations.registry import Registry
from backoffice.integrations.sandbox import SandboxAPI
from backoffice.models import SandboxDocument
from tests.fake_server import serve


class Parcelo(Provider):
    code = "parcelo"


class ParceloSandbox(SandboxAPI):
    """`GET /parcels/{id}` for a Bearer token."""

    provider = "parcelo"
    kinds = ("parcels",)

    def respond(self, method, path, headers, body):
        if not self.bearer_ok(headers):
            return 401, {"error": "invalid token"}
        parcel = self.parcels.get(path.removeprefix("/parcels/"))
        return (200, parcel) if parcel else (404, {"error": "not found"})


class ByHand(Provider):
    code = "by-hand"


@pytest.fixture
def registry():
    registry = Registry()
    registry.add("parcelo", "Parcelo", f"{__name__}.Parcelo", sandbox=f"{__name__}.ParceloSandbox")
    return registry


def test_a_registered_provider_is_in_the_choices_the_clients_and_the_sandboxes(db, registry):
    field = models.CharField(max_length=20, choices=registry.choices)
    field.clean("parcelo", None)
    with pytest.raises(ValidationError):
        field.clean("by-hand", None)

    registry.add("by-hand", "by hand", f"{__name__}.ByHand")

    # The same field: its choices are read from the registry each time.
    assert field.clean("by-hand", None) == "by-hand"
    assert list(field.choices) == registry.choices() == [("parcelo", "Parcelo"), ("by-hand", "by hand")]
    assert list(registry) == ["parcelo", "by-hand"] and "by-hand" in registry and "other" not in registry
    assert [type(registry.provider(code)) for code in registry] == [Parcelo, ByHand]
    assert registry.sandboxed() == ["parcelo"]
    with pytest.raises(KeyError):
        registry.sandbox("by-hand")
    with pytest.raises(KeyError):
        registry.provider("other")

    # The sandbox found keeps its documents in the database, under its provider's code.
    api = registry.sandbox("parcelo")
    assert isinstance(api, ParceloSandbox)
    api.parcels["BR1"] = {"id": "BR1", "status": "delivered"}
    assert SandboxDocument.objects.values_list("provider", "kind", "key").get() == ("parcelo", "parcels", "BR1")
    assert registry.sandbox("parcelo").parcels["BR1"] == {"id": "BR1", "status": "delivered"}


def test_a_code_is_registered_once(registry):
    with pytest.raises(ValueError, match="parcelo"):
        registry.add("parcelo", "Parcelo again", f"{__name__}.Parcelo")
    assert registry.choices() == [("parcelo", "Parcelo")]


def test_a_sandbox_served_on_a_port_answers_only_its_token():
    server = serve(ParceloSandbox(token="right"))
    server.parcels["BR1"] = {"id": "BR1", "status": "delivered"}
    try:
        answer = request_json("GET", f"{server.url}/parcels/BR1", headers={"Authorization": "Bearer right"})
        assert answer == {"id": "BR1", "status": "delivered"}
        with pytest.raises(ProviderError) as refused:
            request_json("GET", f"{server.url}/parcels/BR1", headers={"Authorization": "Bearer wrong"})
        assert refused.value.status == 401
    finally:
        server.close()
    assert [(method, path) for method, path, _, _ in server.requests] == [("GET", "/parcels/BR1")] * 2


def test_given_no_token_a_sandbox_lets_in_only_what_token_known_accepts():
    class Opened(ParceloSandbox):
        def token_known(self, token):
            return token == "an-account's"

    assert not ParceloSandbox().bearer_ok({"authorization": "Bearer an-account's"})
    assert Opened().bearer_ok({"authorization": "Bearer an-account's"})
    assert not Opened().bearer_ok({"authorization": "Bearer another"}) and not Opened().bearer_ok({})
