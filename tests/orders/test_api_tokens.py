"""API tokens: each belongs to an integration and the channels it may post for — created by
the command, shown and narrowed in the Django admin, given to the tokens from before."""

import importlib
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from backoffice.api import api_token_create
from backoffice.models import ApiToken
from orders.models import Order, OrderInbox
from tests.orders.test_api import ORDER, key, post, take  # noqa: F401 (key and take are fixtures)

pytestmark = pytest.mark.django_db


def test_the_command_creates_a_token_of_an_integration_for_its_channels(client, key, take):
    out = StringIO()
    call_command("create_api_token", "ERP Bling", "--integration", "erp", "--channel", "phone", "--channel", "web",
                 stdout=out)
    token = ApiToken.objects.get(name="ERP Bling")
    assert (token.integration, token.channels) == ("erp", ["phone", "web"])
    erp_key = out.getvalue().splitlines()[-1]
    posted, entry = take({**ORDER, "channel": "phone"}, erp_key)
    assert (posted.status_code, entry["status"]) == (202, "accepted")
    assert Order.objects.get().integration == "erp"


@pytest.mark.parametrize("arguments, reason", [
    (["--integration", "erp", "--channel", "orkut"], "Canal(is) desconhecido(s): orkut."),
    (["--integration", "loja virtual", "--channel", "web"], "“slug” válido"),
])
def test_the_command_refuses_an_unknown_channel_or_an_integration_that_is_no_slug(db, arguments, reason):
    with pytest.raises(CommandError, match=re.escape(reason)):
        call_command("create_api_token", "ERP", *arguments, stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_the_admin_shows_integration_and_channels_and_changes_only_the_channels(client_as):
    token = api_token_create(name="ERP", integration="erp", channels=["web"])[0]
    client = client_as("admin")
    user = client.get("/").wsgi_request.user
    user.is_staff = True
    user.save()
    listing = client.get("/admin/backoffice/apitoken/").content.decode()
    assert "erp" in listing and "<td class=\"field-channel_list\">web</td>" in listing
    url = f"/admin/backoffice/apitoken/{token.pk}/change/"
    assert client.get(url).context["adminform"].form["channels"].value() == ["web"]
    changed = client.post(url, {"name": "ERP", "integration": "loja-virtual", "channels": ["web", "mercadolivre"]})
    assert changed.status_code == 302
    token.refresh_from_db()
    assert (token.integration, token.channels) == ("erp", ["mercadolivre", "web"])
    refused = client.post(url, {"name": "ERP", "channels": ["orkut"]})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["channels"]


def test_tokens_from_before_keep_posting_what_they_posted_and_find_the_orders_they_created(client, key, take):
    old = ApiToken.objects.get()
    mercado = take(ORDER, key)[1]["order"]
    Order.objects.update(integration="", channel="mercadolivre")  # as it was before the migrations
    ApiToken.objects.update(integration="", channels=[])
    importlib.import_module("backoffice.migrations.0007_api_token_scope").scope_existing_tokens(apps, None)
    importlib.import_module("orders.migrations.0011_order_integration").orders_of_their_integration(apps, None)
    old.refresh_from_db()
    assert (old.integration, old.channels) == ("loja-virtual", ["mercadolivre", "web"])
    again = post(client, {**ORDER, "channel": "mercadolivre"}, key)
    assert again.status_code == 200 and again.json()["id"] == mercado["id"]
    assert OrderInbox.objects.filter(status="accepted").count() == 2
