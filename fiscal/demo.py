"""Demo data for fiscal: the demo store's fiscal profile (a Simples Nacional retailer in São Paulo,
issuing in homologação), its series 1 and a TEST A1 certificate (self-signed, of no fiscal value),
and an authorized NF-e for each order the orders demo invoiced — built from the order with its
taxes, signed, checked against the official XSD and authorized by the SEFAZ simulator in this
process (no server runs while seeding), each at the moment its order was invoiced. The series goes
on from the number the orders demo wrote on the first order's timeline, so both tell the same numbers.

Idempotent: the profile, the series and the certificate are made once; an order with an NF-e gets
no other."""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from backoffice.demo import demo_seeder, happening
from backoffice.models import TimelineEvent
from orders.models import City, Order
from orders.models import Status as OrderStatus

from .certificates import profile_set_certificate, test_certificate
from .models import Environment, FiscalProfile, Invoice, Regime, Series
from .providers.sefaz.sandbox import authorize
from .services import invoice_apply_protocol, invoice_from_order, invoice_issue
from .taxes import Tables

DEMO_CNPJ = "11222333000181"
PROFILE = {
    "legal_name": "Loja Demo Comércio Eletrônico Ltda", "trade_name": "Loja Demo",
    "state_registration": "110042490114", "municipal_registration": "12345678", "cnae": "4789099",
    "regime": Regime.SIMPLES, "cep": "01310100", "street": "Avenida Paulista", "number": "1000",
    "complement": "Conjunto 12", "district": "Bela Vista", "phone": "1133334444",
    "environment": Environment.HOMOLOGATION, "accountant_email": "contador@loja.example",
}
SAO_PAULO = "3550308"
# The orders the orders demo took past invoicing: each had its NF-e.
INVOICED = (OrderStatus.INVOICED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED,
            OrderStatus.RETURNED)
NUMBER_NOTE = re.compile(r"NF-e (\d+)")
CERTIFICATE_DAYS_LEFT = 185


def demo_profile(*, cnpj: str | None = None) -> FiscalProfile:
    """The demo store's fiscal profile (created with `cnpj`, the demo's by default, when there is
    none) and its homologação series 1."""
    profile, _created = FiscalProfile.objects.get_or_create(
        pk=1, defaults={**PROFILE, "cnpj": cnpj or DEMO_CNPJ, "city": City.objects.get(code=SAO_PAULO)})
    Series.objects.get_or_create(environment=Environment.HOMOLOGATION, number=1)
    return profile


def _invoiced_moments(orders) -> list[tuple]:
    """(when it was invoiced, the note said then, order) of each order, oldest first."""
    by_pk = {order.pk: order for order in orders}
    events = TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order),
                                          object_id__in=list(by_pk), to_status=OrderStatus.INVOICED)
    moments = {}
    for event in events.order_by("created_at", "pk"):
        moments.setdefault(event.object_id, (event.created_at, (event.params or {}).get("text", "")))
    return sorted((*moments[pk], order) for pk, order in by_pk.items() if pk in moments)


def _number_on(series: Series, note: str) -> None:
    """A series never used goes on from the number the orders demo gave its first invoice."""
    found = NUMBER_NOTE.search(note)
    if found and series.next_number == 1 and not Invoice.objects.filter(series=series.number).exists():
        Series.objects.filter(pk=series.pk).update(next_number=int(found.group(1)))


@demo_seeder(order=40)
def seed_fiscal(*, log, **kwargs):
    """The profile, series and test certificate, then the NF-e of the orders invoiced (see the module docstring)."""
    if not City.objects.filter(code=SAO_PAULO).exists():
        log("no IBGE cities loaded (run migrate): no fiscal profile seeded")
        return
    profile = demo_profile()
    if not profile.certificate:
        # Bought half a year ago, for a year: valid over the whole history the orders demo tells.
        pfx, password = test_certificate(cnpj=profile.cnpj, name=profile.legal_name, days=CERTIFICATE_DAYS_LEFT,
                                         valid_from=timezone.now() - timedelta(days=365 - CERTIFICATE_DAYS_LEFT))
        certificate = profile_set_certificate(profile=profile, pfx=pfx, password=password)
        log(f"TEST A1 certificate (no fiscal value) for CNPJ {certificate.cnpj}, "
            f"valid until {certificate.not_after:%Y-%m-%d}")
    User = get_user_model()
    issuer = User.objects.filter(username="finance").first() or User.objects.filter(username="staff").first()
    orders = Order.objects.filter(status__in=INVOICED, invoices__isnull=True)
    moments = _invoiced_moments(orders)
    if moments:
        _number_on(Series.objects.get(environment=profile.environment, number=1), moments[0][1])
    authorized, tables = 0, Tables.load()  # the tax tables read once for the whole history
    for moment, _note, order in moments:
        with happening(moment):
            draft = invoice_from_order(order=order, user=issuer, past=True, tables=tables)
            invoice = invoice_issue(invoice=draft, user=issuer, send=False, past=True, tables=tables)
            invoice = invoice_apply_protocol(invoice=invoice, protocol=authorize(invoice.xml.encode()), past=True)
        authorized += invoice.status == Invoice.Status.AUTHORIZED
        if len(moments) >= 200 and authorized % 100 == 0:
            log(f"{authorized}/{len(moments)} NF-e authorized")
    log(f"{authorized} NF-e authorized by the SEFAZ simulator (homologação), {len(moments) - authorized} not")
