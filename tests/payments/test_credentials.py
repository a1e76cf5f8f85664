"""Provider accounts' credentials: encrypted at rest, rotated to a new key, carried over from the
old columns, and edited in the admin without a secret ever being shown back."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core import serializers
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import connection

from backoffice.integrations.credentials import CredentialsUnreadable
from payments.models import ProviderAccount
from payments.providers import provider

MERCADOPAGO = {"access_token": "APP_USR-1234-secret-token", "webhook_secret": "mp-webhook-signature"}
PAYPAL = {"client_id": "AZ-visible-client-id", "client_secret": "EL-hidden-app-secret", "webhook_id": "1JE42910"}


def stored(account) -> str:
    """The column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM payments_provideraccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    """`keys(*k)`: CREDENTIALS_KEYS set to those keys (the first encrypts)."""

    def use(*keys):
        settings.CREDENTIALS_KEYS = [key.decode() for key in keys]

    return use


@pytest.mark.django_db
def test_the_database_holds_only_ciphertext_and_the_account_reads_its_values_back():
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=MERCADOPAGO)
    raw = stored(account)
    assert raw.startswith("gAAAAA")
    assert not any(value in raw for value in MERCADOPAGO.values())
    account.refresh_from_db()
    assert account.credentials == MERCADOPAGO
    assert (account.credential("access_token"), account.credential("client_id")) == (MERCADOPAGO["access_token"], "")


@pytest.mark.django_db
def test_the_database_cannot_filter_by_a_credential_and_a_dump_stays_encrypted():
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=MERCADOPAGO)
    with pytest.raises(FieldError):
        ProviderAccount.objects.filter(credentials__access_token=MERCADOPAGO["access_token"]).exists()
    dump = serializers.serialize("json", [account])
    assert MERCADOPAGO["access_token"] not in dump
    assert next(serializers.deserialize("json", dump)).object.credentials == MERCADOPAGO


@pytest.mark.django_db
def test_rotation_encrypts_everything_under_the_new_key_once(keys):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    accounts = [ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=MERCADOPAGO),
                ProviderAccount.objects.create(provider="manual", name="Pix")]
    keys(new, old)
    accounts.append(ProviderAccount.objects.create(provider="paypal", name="PayPal", credentials=PAYPAL))
    before = [stored(account) for account in accounts]

    call_command("rotate_credentials_key", stdout=(first := io.StringIO()))
    after = [stored(account) for account in accounts]
    call_command("rotate_credentials_key", stdout=(second := io.StringIO()))

    assert "payments.ProviderAccount.credentials: 2 encrypted again, 1 already with the first key, 0 unreadable" \
        in first.getvalue()
    assert "0 encrypted again, 3 already with the first key" in second.getvalue()
    assert (after[0] != before[0], after[1] != before[1], after[2] == before[2]) == (True, True, True)
    assert [stored(account) for account in accounts] == after
    keys(new)
    assert [ProviderAccount.objects.get(pk=a.pk).credentials for a in accounts] == [MERCADOPAGO, {}, PAYPAL]


@pytest.mark.django_db
def test_rotation_reports_values_no_key_decrypts_and_still_rotates_the_others(keys):
    lost, old, new = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    keys(lost)
    orphan = ProviderAccount.objects.create(provider="pagbank", name="Antiga", credentials={"access_token": "x"})
    keys(old)
    account = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=MERCADOPAGO)
    keys(new, old)
    with pytest.raises(CommandError, match="1 values no key"):
        call_command("rotate_credentials_key", stdout=io.StringIO())
    keys(new)
    assert ProviderAccount.objects.get(pk=account.pk).credentials == MERCADOPAGO
    with pytest.raises(CredentialsUnreadable):
        ProviderAccount.objects.get(pk=orphan.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_carries_each_providers_columns_into_its_credentials_and_back(migrations):
    before, after = [("payments", "0012_paymentevent_provider_events")], [("payments", "0013_encrypted_credentials")]
    old = migrations(before).get_model("payments", "ProviderAccount")
    columns = {
        "mercadopago": {"access_token": "APP_USR-1", "webhook_secret": "sig", "client_id": "stray"},
        "pagbank": {"access_token": "pb-token"},
        "paypal": {"client_id": "AZ", "access_token": "EL", "webhook_id": "WH"},
        "manual": {},
    }
    pks = {code: old.objects.create(provider=code, name=code, **values).pk for code, values in columns.items()}

    new = migrations(after).get_model("payments", "ProviderAccount")
    carried = {code: new.objects.get(pk=pk).credentials for code, pk in pks.items()}
    assert carried == {"mercadopago": {"access_token": "APP_USR-1", "webhook_secret": "sig"},
                       "pagbank": {"access_token": "pb-token"},
                       "paypal": {"client_id": "AZ", "client_secret": "EL", "webhook_id": "WH"},
                       "manual": {}}
    assert "APP_USR-1" not in stored(new.objects.get(pk=pks["mercadopago"]))
    assert {code: {item.name for item in provider(code).credentials} >= set(values)
            for code, values in carried.items()} == dict.fromkeys(columns, True)

    back = migrations(before).get_model("payments", "ProviderAccount")
    assert back.objects.values("client_id", "access_token", "webhook_secret", "webhook_id").get(
        pk=pks["paypal"]) == {"client_id": "AZ", "access_token": "EL", "webhook_secret": "", "webhook_id": "WH"}


@pytest.fixture
def admin_client(client, role_user):
    client.force_login(role_user("admin", is_staff=True, is_superuser=True))
    return client


def test_the_account_page_asks_the_providers_fields_and_renders_no_secret(admin_client):
    mercadopago = ProviderAccount.objects.create(provider="mercadopago", name="Loja", credentials=MERCADOPAGO)
    paypal = ProviderAccount.objects.create(provider="paypal", name="PayPal", credentials=PAYPAL)
    pages = {account.provider: admin_client.get(f"/admin/payments/provideraccount/{account.pk}/change/")
             .content.decode() for account in (mercadopago, paypal)}
    for secret in (MERCADOPAGO["access_token"], MERCADOPAGO["webhook_secret"], PAYPAL["client_secret"]):
        assert all(secret not in page for page in pages.values())
    assert 'type="password" name="access_token"' in pages["mercadopago"]
    assert 'name="client_id"' not in pages["mercadopago"]
    assert "Deixe em branco para manter o valor atual." in pages["mercadopago"]
    assert "Segredo do webhook" in pages["mercadopago"] and "Chave secreta" in pages["paypal"]
    assert f'value="{PAYPAL["client_id"]}"' in pages["paypal"] and f'value="{PAYPAL["webhook_id"]}"' in pages["paypal"]
    new = admin_client.get("/admin/payments/provideraccount/add/?provider=pagbank").content.decode()
    assert 'type="password" name="access_token"' in new and "Deixe em branco" not in new


def test_a_secret_left_empty_keeps_its_value_and_a_typed_one_replaces_it(admin_client):
    account = ProviderAccount.objects.create(provider="paypal", name="PayPal", credentials=PAYPAL)
    url = f"/admin/payments/provideraccount/{account.pk}/change/"
    form = {"provider": "paypal", "name": "PayPal", "active": "on", "client_secret": "",
            "client_id": "AZ-new-client", "webhook_id": ""}
    assert admin_client.post(url, form).status_code == 302
    account.refresh_from_db()
    assert account.credentials == {"client_id": "AZ-new-client", "client_secret": PAYPAL["client_secret"]}
    assert admin_client.post(url, {**form, "client_secret": "EL-rotated"}).status_code == 302
    account.refresh_from_db()
    assert account.credential("client_secret") == "EL-rotated"


def test_a_new_account_needs_its_providers_required_credentials(admin_client):
    url = "/admin/payments/provideraccount/add/"
    blank = admin_client.get(url).content.decode()
    assert "As credenciais são pedidas depois de escolhido o provedor" in blank and 'type="password"' not in blank
    refused = admin_client.post(url, {"provider": "mercadopago", "name": "Loja", "active": "on"})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors == {
        "access_token": ["Este campo é obrigatório."]}
    assert admin_client.post(url, {"provider": "mercadopago", "name": "Loja", "active": "on",
                                   "access_token": " APP_USR-typed "}).status_code == 302
    assert ProviderAccount.objects.get().credentials == {"access_token": "APP_USR-typed"}
    assert admin_client.post(url, {"provider": "manual", "name": "Pix", "active": "on"}).status_code == 302
