"""Payments registers its providers once (payments.providers.PROVIDERS): the model fields' and the
filters' choices, the client of a code, its sandbox and the webhook endpoint all agree with that
list, and a provider added to it is taken everywhere with no migration."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from backoffice.integrations.base import json_object
from backoffice.integrations.errors import WebhookRejected
from payments.filters import PaymentFilter, ReceivableFilter
from payments.forms import SandboxPayForm
from payments.models import Payment, ProviderAccount, SettlementRule, WebhookEvent
from payments.providers import PROVIDERS, PaymentProvider, provider, sandbox
from payments.sandbox import PaymentSandbox

pytestmark = pytest.mark.django_db


def test_the_fields_and_filters_offer_the_registered_providers():
    registered = PROVIDERS.choices()
    assert [code for code, _ in registered] == ["mercadopago", "pagbank", "paypal", "manual"]
    for model in (ProviderAccount, Payment, SettlementRule):
        assert list(model._meta.get_field("provider").choices) == registered
    for filterset in (PaymentFilter(), ReceivableFilter()):
        assert list(filterset.form.fields["provider"].choices)[1:] == registered  # after "All"


@pytest.mark.parametrize("code", list(PROVIDERS))
def test_each_provider_is_found_by_its_code_and_so_is_its_sandbox(code):
    assert provider(code).code == code
    if code in PROVIDERS.sandboxed():
        api = sandbox(code)
        assert isinstance(api, PaymentSandbox) and api.provider == code
    else:
        with pytest.raises(KeyError):
            sandbox(code)


def test_the_sandbox_checkout_offers_the_accounts_of_providers_with_a_sandbox():
    for code in PROVIDERS:
        ProviderAccount.objects.create(provider=code, name=code)
    offered = SandboxPayForm().fields["account"].queryset.values_list("provider", flat=True)
    assert sorted(offered) == sorted(PROVIDERS.sandboxed()) == ["mercadopago", "pagbank", "paypal"]


class Cielo(PaymentProvider):
    """A provider written after the others: its webhooks carry `x-cielo-signed: yes`."""

    code = "cielo"

    def verify(self, account, *, headers, query, body):
        if headers.get("x-cielo-signed") != "yes":
            raise WebhookRejected("not signed")

    def resource_id(self, *, query, body):
        return str(json_object(body)["PaymentId"])


def test_a_provider_added_to_the_registry_is_taken_everywhere_without_a_migration(client, monkeypatch):
    with pytest.raises(ValidationError):
        ProviderAccount(provider="cielo", name="Cielo").full_clean()
    assert client.post("/payments/webhooks/cielo/1/", b"{}", content_type="application/json").status_code == 404

    monkeypatch.setattr(PROVIDERS, "entries", dict(PROVIDERS.entries))  # the registry as it was, after the test
    PROVIDERS.add("cielo", "Cielo", f"{__name__}.Cielo")

    account = ProviderAccount(provider="cielo", name="Cielo")
    account.full_clean()
    account.save()
    assert ("cielo", "Cielo") in PaymentFilter().form.fields["provider"].choices
    assert account.get_provider_display() == "Cielo"
    url = f"/payments/webhooks/cielo/{account.pk}/"
    assert client.post(url, b'{"PaymentId": "24bc8366"}', content_type="application/json").status_code == 401
    assert client.post(url, b'{"PaymentId": "24bc8366"}', content_type="application/json",
                       headers={"x-cielo-signed": "yes"}).status_code == 200
    assert WebhookEvent.objects.filter(status="received").get().resource_id == "24bc8366"
    call_command("makemigrations", "payments", check=True, dry_run=True, verbosity=0)  # exits 1 on a change
