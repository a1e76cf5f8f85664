"""`seed_demo` gives the demo store its fiscal side: the profile (Simples Nacional, homologação) with
a test A1 certificate, its series, and an authorized NF-e for each order the orders demo invoiced,
dated when the order was invoiced and numbered as its timeline says — nothing doubled on a second
run, no e-mail sent for the past."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from backoffice.models import SandboxDocument, TimelineEvent
from fiscal import certificates
from fiscal.demo import DEMO_CNPJ, INVOICED, seed_fiscal
from fiscal.models import Environment, FiscalProfile, Invoice, Regime, Series
from fiscal.nfe import signing
from fiscal.nfe import xml as nfe_xml
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", "--orders", "120", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def invoiced_events():
    """The orders' moves to invoiced, by order."""
    events = TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order), to_status="invoiced")
    return {event.object_id: event for event in events}


def test_the_demo_store_has_its_fiscal_profile_series_and_test_certificate(seeded):
    profile = FiscalProfile.objects.get()
    assert (profile.cnpj, profile.regime, profile.environment, profile.city.code) == (
        DEMO_CNPJ, Regime.SIMPLES, Environment.HOMOLOGATION, "3550308")
    assert profile.certificate_is_test and profile.certificate_cnpj == DEMO_CNPJ
    assert certificates.certificate_of(profile).is_test
    assert Series.objects.filter(environment=Environment.HOMOLOGATION, number=1, active=True).exists()
    assert "TEST A1 certificate (no fiscal value)" in seeded


def test_each_order_past_invoicing_has_its_authorized_nfe_dated_and_numbered_as_it_was(seeded):
    orders = Order.objects.filter(status__in=INVOICED)
    assert orders.count() >= 30
    events = invoiced_events()
    numbers = []
    for order in orders:
        [invoice] = order.invoices.all()
        assert invoice.status == Invoice.Status.AUTHORIZED and invoice.protocol
        event = events[order.pk]
        assert abs(invoice.issued_at - event.created_at) < timedelta(seconds=5)
        assert invoice.authorized_at >= invoice.issued_at.replace(microsecond=0)  # dhRecbto: to the second
        # The orders demo wrote "NF-e <number> série 1" on the order's timeline: the same number.
        assert re.search(r"NF-e (\d+)", event.params["text"]).group(1) == str(invoice.number)
        numbers.append(invoice.number)
    numbers.sort()
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert Series.objects.get(number=1).next_number == numbers[-1] + 1
    assert not Invoice.objects.exclude(order__status__in=INVOICED).exists()


def test_the_authorized_xml_is_valid_signed_and_known_to_the_simulator(seeded):
    invoices = list(Invoice.objects.order_by("?")[:5])
    for invoice in invoices:
        document = invoice.authorized_xml.encode()
        assert nfe_xml.validate(document, "nfe") == []
        assert signing.verify(document) == certificates.certificate_of(FiscalProfile.objects.get()).certificate
        assert invoice.xml.encode() in document
    known = set(SandboxDocument.objects.filter(provider="sefaz", kind="nfe").values_list("key", flat=True))
    assert {invoice.key for invoice in invoices} <= known


def test_the_past_sends_no_mail_and_moves_no_order(seeded):
    assert not [message for message in mail.outbox if "NF-e" in message.subject]
    events = TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order), to_status="invoiced")
    assert events.count() == Order.objects.filter(status__in=INVOICED).count()


def test_seeding_again_doubles_nothing(seeded):
    def state():
        profile = FiscalProfile.objects.get()
        return Invoice.objects.count(), Series.objects.get(number=1).next_number, profile.certificate

    before, lines = state(), []
    seed_fiscal(log=lines.append)
    assert state() == before
    assert "0 NF-e authorized" in lines[-1]
