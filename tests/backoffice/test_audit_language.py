"""The audit log reads in the reader's language: actions by their labels (a move by its
document and status), changed fields by their names and values, the Django admin's notes, and
the filter by action offers the labels."""

import re

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from backoffice.audit import action_choices, audit_record
from backoffice.models import AuditEvent, ImportFile
from backoffice.states import transition
from tests.backoffice.test_audit import disable_the_heartbeat_in_the_django_admin
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(role_user):
    """A product changed, an import refused, and (the admin's own) a login."""
    ops = role_user("ops")
    product = ProductFactory(sku="CAM-001", name="Camiseta")
    audit_record(actor=ops, action="product.update", obj=product,
                 before={"price": "59.90", "active": True}, after={"price": "1234.50", "active": False})
    record = ImportFile.objects.create(kind="inventory.products", file="imports/p.csv", original_name="p.csv",
                                       uploaded_by=ops)
    transition(record, ImportFile.Status.REJECTED, actor=ops)


def _page(client, language, **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get("/audit/", params).content.decode()


def _table(html):
    """The rows' cells, as text."""
    return " | ".join(re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(r"(?s)<td[^>]*>(.*?)</td>", html))


LABELS = {
    "en": ["Product changed", "Import → rejected", "Signed in"],
    "pt-br": ["Produto alterado", "Importação → recusado", "Entrou no sistema"],
}
CHANGES = {
    "en": ["active", "Yes", "No", "price", "R$\u00a059.90", "R$\u00a01,234.50", "status", "waiting", "rejected"],
    "pt-br": ["ativa", "Sim", "Não", "preço", "R$\u00a059,90", "R$\u00a01.234,50", "situação", "aguardando",
              "recusado"],
}


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_actions_and_changes_read_in_the_readers_language(client_as, logged, language):
    table = _table(_page(client_as("admin"), language))
    assert all(label in table for label in LABELS[language])
    assert all(word in table for word in CHANGES[language]), table
    for code in ("product.update", "importfile.rejected", "user.login", "pending"):
        assert code not in table


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_the_filter_by_action_offers_labels_and_finds_their_rows(client_as, logged, language):
    client = client_as("admin")
    html = _page(client, language)
    options = dict(re.findall(r'<option value="([a-z_]+\.[a-z_]+)"[^>]*>([^<]+)</option>', html))
    assert options["product.update"] == LABELS[language][0]
    assert options["importfile.rejected"] == LABELS[language][1]
    assert options["order.received"] == {"en": "Order received.", "pt-br": "Pedido recebido."}[language]
    only = client.get("/audit/", {"action": "importfile.rejected"})
    assert [event.action for event in only.context["table"].page.object_list] == ["importfile.rejected"]


def test_every_action_written_by_the_code_has_a_label():
    codes = dict(action_choices())
    written = {"user.login", "user.login_failed", "user.locked_out", "user.password_change", "admin.add",
               "admin.change", "admin.delete", "job.run_now", "import.upload", "api_token.create", "product.create",
               "product.update", "product.activate", "product.deactivate", "warehouse.create", "warehouse.update",
               "customer.create", "customer.update", "customer.address", "customer.merge", "order.received",
               "order.tag", "order.paid", "orderinbox.accepted", "orderinbox.repeated", "orderinbox.poisoned",
               "payment.refund", "payment.manual", "payment.partially_refunded", "cash.entry",
               "receivable.given_back", "receivable.settled", "cashentry.realized", "webhookevent.poisoned",
               "webhookevent.processed", "importfile.done"}
    assert written <= set(codes)
    assert all(codes[code] != code for code in written)


def test_the_search_finds_an_action_by_its_label(client_as, logged):
    client = client_as("admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    found = client.get("/audit/", {"q": "alterado"}).context["table"].page.object_list
    assert [event.action for event in found] == ["product.update"]


@pytest.mark.parametrize("language, note", [("en", "Changed Task (registered) and Enabled."),
                                            ("pt-br", "Alterado Tarefa (registrada) e Ativa.")])
def test_a_change_made_in_the_django_admin_is_described_in_the_readers_language(client_as, language, note):
    client = client_as("ops")
    disable_the_heartbeat_in_the_django_admin(client)
    event = AuditEvent.objects.get(action="admin.change")
    assert "Changed" not in event.note and "Alterado" not in event.note  # kept as data, in no language
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client_as("admin").get("/audit/", {"action": "admin.change"}).content.decode()
    assert note in _table(html), _table(html)
