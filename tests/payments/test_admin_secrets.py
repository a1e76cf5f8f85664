"""No filter, search or ordering of the admin reaches a secret: a guess at a provider's
token, a webhook secret, an API token's digest or a password hash cannot be checked."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP

from backoffice.admin import SecretFieldsAdmin
from backoffice.api import api_token_create
from backoffice.models import ApiToken
from fiscal.models import FiscalProfile
from logistics.models import Carrier
from payments.models import ProviderAccount, WebhookEvent

pytestmark = pytest.mark.django_db

SECRETS = {(ProviderAccount, "credentials"), (FiscalProfile, "certificate"), (Carrier, "credentials"),
           (ApiToken, "digest"), (get_user_model(), "password")}


@pytest.fixture
def admin_client(client, role_user):
    client.force_login(role_user("admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def account(db):
    return ProviderAccount.objects.create(provider="mercadopago", name="Loja",
                                          credentials={"access_token": "APP_USR-token",
                                                       "webhook_secret": "sandbox-secret"})


def test_each_secret_field_is_declared_by_its_admin():
    declared = {(model, field) for model, model_admin in admin.site._registry.items()
                if isinstance(model_admin, SecretFieldsAdmin) for field in model_admin.secret_fields}
    assert declared == SECRETS


@pytest.mark.parametrize("url", [
    "/admin/payments/provideraccount/?credentials__webhook_secret__startswith={guess}",
    "/admin/payments/provideraccount/?credentials__webhook_secret={guess}",
    "/admin/payments/provideraccount/?credentials__access_token__startswith={guess}",
    "/admin/payments/provideraccount/?credentials__access_token__regex=^{guess}",
    "/admin/payments/webhookevent/?account__credentials__webhook_secret__startswith={guess}",
    "/admin/backoffice/apitoken/?digest__startswith={guess}",
    "/admin/auth/user/?password__startswith={guess}",
])
def test_a_lookup_through_a_secret_answers_400_whether_the_guess_is_right_or_not(admin_client, account, url):
    api_token_create(name="loja virtual", integration="loja-virtual", channels=["web"])
    WebhookEvent.objects.create(account=account, body="{}")
    token_digest = ApiToken.objects.get().digest
    rights = {"webhook_secret": "sandbox-", "access_token": "APP_USR", "digest": token_digest[:4],
              "password": get_user_model().objects.get().password[:4]}
    right = next(guess for field, guess in rights.items() if field in url)
    answers = {admin_client.get(url.format(guess=guess)).status_code for guess in (right, "zz-wrong")}
    assert answers == {400}


def _reaches_a_secret(model, path):
    for part in path.lstrip("^=@-").split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if (model, part) in SECRETS:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def _named_fields(model_admin):
    """The field paths an admin filters, searches, orders or shows columns by."""
    yield from model_admin.search_fields
    yield from model_admin.ordering or ()
    yield from [model_admin.date_hierarchy] if model_admin.date_hierarchy else []
    for entry in [*model_admin.list_filter, *model_admin.list_display]:
        if isinstance(entry, str):
            yield entry
        elif isinstance(entry, (list, tuple)):
            yield entry[0]


def test_no_admin_filters_searches_orders_or_shows_a_column_by_a_secret():
    reaching = [(model_admin, name) for model, model_admin in admin.site._registry.items()
                for name in _named_fields(model_admin) if _reaches_a_secret(model, name)]
    assert not reaching
