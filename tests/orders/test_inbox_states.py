"""The order inbox moves through the state-machine kit: received → accepted, rejected or failed,
once; each move one event, read in the reader's language."""

import json

import pytest
from django.utils import translation

from backoffice.states import TransitionRefused, events_of, transition
from orders import services
from orders.models import OrderInbox
from tests.orders.test_api import ORDER, key, post, take  # noqa: F401 (key and take are fixtures)

pytestmark = pytest.mark.django_db


def test_a_processed_entry_cannot_move_again(key, take):
    take(ORDER, key)
    inbox = OrderInbox.objects.get()
    with translation.override("pt-br"), pytest.raises(TransitionRefused, match="não pode passar de “aceito” para"):
        transition(inbox, OrderInbox.Status.FAILED)
    inbox.refresh_from_db()
    assert inbox.status == "accepted" and events_of(inbox).count() == 1


def test_processing_an_entry_again_changes_nothing(key, take):
    take(ORDER, key)
    inbox = OrderInbox.objects.get()
    assert services.order_inbox_process(inbox_id=inbox.pk) == (inbox, False)
    assert transition(inbox, OrderInbox.Status.ACCEPTED) is False
    inbox.refresh_from_db()
    assert inbox.status == "accepted" and events_of(inbox).count() == 1


def test_its_events_are_read_in_the_readers_language(client, key, take):
    number = take(ORDER, key)[1]["order"]["number"]
    post(client, ORDER, key)
    post(client, {**ORDER, "external_id": "LOJA-5002", "items": [{**ORDER["items"][0], "sku": "NOPE"}]}, key)
    accepted, repeated, rejected = (events_of(inbox).get() for inbox in OrderInbox.objects.order_by("pk"))
    with translation.override("en"):
        assert (accepted.text, accepted.from_label, accepted.to_label) == (f"Became order #{number}.", "received",
                                                                           "accepted")
        assert repeated.text == f"Order #{number} was received before: nothing changed."
        assert (rejected.text, rejected.to_label) == ("Refused; fields to fix: items[0].sku.", "rejected")
    with translation.override("pt-br"):
        assert (accepted.text, accepted.from_label, accepted.to_label) == (f"Virou o pedido #{number}.", "recebido",
                                                                           "aceito")
        assert repeated.text == f"O pedido #{number} já tinha sido recebido: nada mudou."
        assert (rejected.text, rejected.to_label) == ("Recusado; campos a corrigir: items[0].sku.", "recusado")


def test_a_failed_entry_reads_why_in_both_languages(key):
    from backoffice.models import ApiToken

    inbox = services.order_inbox_receive(token=ApiToken.objects.get(), body=json.dumps(ORDER).encode(),
                                         too_large=False)
    services.order_inbox_stopped_the_worker(inbox_id=inbox.pk, starts=3)
    inbox.refresh_from_db()
    [event] = events_of(inbox)
    assert (inbox.status, event.code, event.params) == ("failed", "orderinbox.poisoned", {"starts": 3})
    with translation.override("en"):
        assert (event.text, event.to_label) == ("Processing stopped the worker 3 times; kept for the team.", "failed")
    with translation.override("pt-br"):
        assert (event.text, event.to_label) == ("O processamento derrubou o worker 3 vezes; guardado para a equipe.",
                                                "falhou")
