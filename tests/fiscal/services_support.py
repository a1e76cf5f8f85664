"""What the tests of the fiscal services and tasks share: SEFAZ's simulator served over HTTPS that
requires the store's A1 (the profile's test certificate), the people who issue and cancel, and an
invoice issued and authorized through it."""

import pytest
from django.contrib.auth.models import Group

from fiscal import services
from fiscal.certificates import certificate_of
from fiscal.models import Invoice
from fiscal.nfe import xml as nfe_xml
from tests.factories import UserFactory
from tests.fiscal.sefaz_support import served


@pytest.fixture
def sefaz(settings, tmp_path, fiscal_profile, series):
    """SEFAZ (the simulator) on a local HTTPS port requiring the store's A1 — the profile's."""
    with served(settings, tmp_path, clients=certificate_of(fiscal_profile).pem()[0], timeout=2.0) as simulator:
        yield simulator


def person(role: str, username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def issuer(db):
    """Fernanda, of finance: she issues."""
    return person("finance", "fernanda")


@pytest.fixture
def canceller(db):
    """Marcos, a manager: he may cancel what someone else issued."""
    return person("manager", "marcos")


@pytest.fixture
def issue(sefaz, issuer, run_queued_tasks):
    """`issue(order)`: the order's NF-e drafted, issued by the issuer and sent (its tasks run as
    they commit); the invoice, fresh from the database."""

    def run(order, *, user=None):
        with run_queued_tasks():
            invoice = services.invoice_from_order(order=order, user=user or issuer)
            services.invoice_issue(invoice=invoice, user=user or issuer)
        invoice.refresh_from_db()
        return invoice

    return run


@pytest.fixture
def authorized(issue, consumer_order):
    """The consumer order's NF-e, authorized."""
    invoice = issue(consumer_order)
    assert invoice.status == Invoice.Status.AUTHORIZED, (invoice.status_code, invoice.status_message)
    return invoice


def errors_of(xml: str, schema: str) -> list[str]:
    return nfe_xml.validate(xml.encode(), schema)
