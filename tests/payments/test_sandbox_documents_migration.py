"""The sandbox documents move from payments to the integration kit's table (and back when the
migration is reversed), in their order."""

import pytest
from django.db import connection

BEFORE = [("payments", "0010_provider_choices_from_registry")]
AFTER = [("payments", "0011_sandbox_documents_to_backoffice")]
DOCUMENTS = [("paypal", "captures", "3C679366HH908993F", {"id": "3C679366HH908993F", "amount": {"value": "2.51"}}),
             ("mercadopago", "payments", "20359978", {"id": 20359978, "status": "approved"}),
             ("mercadopago", "payments", "10359978", {"id": 10359978, "status": "refunded"})]


def _documents(model):
    return list(model.objects.order_by("pk").values_list("provider", "kind", "key", "document"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_documents_are_copied_to_the_kit_and_back_in_their_order(migrations):
    old = migrations(BEFORE).get_model("payments", "SandboxDocument")
    for provider, kind, key, document in DOCUMENTS:
        old.objects.create(provider=provider, kind=kind, key=key, document=document)

    new = migrations(AFTER).get_model("backoffice", "SandboxDocument")
    assert _documents(new) == DOCUMENTS
    assert "payments_sandboxdocument" not in connection.introspection.table_names()

    new.objects.filter(key="20359978").delete()
    old = migrations(BEFORE).get_model("payments", "SandboxDocument")
    assert _documents(old) == [DOCUMENTS[0], DOCUMENTS[2]] and not new.objects.exists()
    new = migrations(AFTER).get_model("backoffice", "SandboxDocument")
    assert _documents(new) == [DOCUMENTS[0], DOCUMENTS[2]]
