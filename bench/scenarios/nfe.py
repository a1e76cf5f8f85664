"""NF-e on one core (this process): for `--nfe` orders ready to ship, each NF-e as fiscal.services
makes it — the order's lines and their taxes (fiscal.taxes), numbered and keyed, the binding built
(fiscal.nfe.build), serialized, signed and checked against the official XSD — beside the anchor: the
bare serialize-and-sign of the same already-built documents, in the same run. For information, the
whole issue through fiscal.services too (invoice_from_order + invoice_issue: stored, then rolled
back, so the bench store keeps its numbers). A document that fails its XSD fails the bench.

The bench store's fiscal profile is the demo's (fiscal.demo.demo_profile) with a test certificate."""

import gc
import time

from bench.core import Measure, Result, scenario

BUDGET_PER_SECOND = 200
BUDGET_RATIO = 0.8  # of the bare serialize-and-sign's rate in the same run
WARM_UP = 5  # documents made first and not counted: the XSD compiled, the serializer's caches filled


def prepare(count: int):
    """The profile (with a test certificate), its certificate, and up to `count` orders ready to ship."""
    from fiscal.certificates import certificate_of, profile_set_certificate, test_certificate
    from fiscal.demo import demo_profile
    from orders.models import Order, Status

    profile = demo_profile()
    if not profile.certificate:
        pfx, password = test_certificate(cnpj=profile.cnpj, name=profile.legal_name)
        profile_set_certificate(profile=profile, pfx=pfx, password=password)
    orders = list(Order.objects.filter(status=Status.READY_TO_SHIP).select_related("customer")
                  .prefetch_related("items__product", "payments").order_by("pk")[:count + WARM_UP])
    return profile, certificate_of(profile), orders


def nfe_of(order, number: int, profile, certificate, tables):
    """The NF-e `number` of `order` (its items, products and payments prefetched, the tax `tables`
    read once, as a batch issue reads them), as fiscal.services issues it, unsaved: its binding and
    its signed bytes' XSD errors."""
    from django.utils import timezone

    from fiscal import defaults, taxes
    from fiscal.models import UF_CODES, Invoice, Operation
    from fiscal.nfe import keys, signing
    from fiscal.nfe import xml as nfe_xml
    from fiscal.nfe.build import build

    operation = defaults.operation_for(order.customer)
    contributor = operation == Operation.SALE_COMPANY
    invoice = Invoice(order=order, operation=operation, environment=profile.environment, series=1, number=number,
                      code=keys.new_code(number), issued_at=timezone.now())
    invoice.key = keys.access_key(uf_code=UF_CODES[profile.uf], issued_at=invoice.issued_at, cnpj=profile.cnpj,
                                  series=invoice.series, number=number, code=invoice.code)
    items = taxes.tax_items(profile=profile, operation=operation, destination_uf=order.ship_uf,
                            contributor=contributor, consumer=not contributor, lines=taxes.order_lines(order),
                            freight=order.shipping_total, issued_at=invoice.issued_at, tables=tables)
    for name, value in taxes.invoice_totals(items).items():
        setattr(invoice, name, value)
    binding = build(invoice, items, profile)
    # Signed and checked against the XSD as fiscal.services does it (the signed tree validated as it is).
    return binding, signing.sign_and_validate(nfe_xml.serialize(binding), certificate, "nfe")[1]


def serialize_and_sign(binding, certificate) -> bytes:
    from fiscal.nfe import signing
    from fiscal.nfe import xml as nfe_xml

    return signing.sign(nfe_xml.serialize(binding), certificate)


def issue_through_services(order, issuer) -> list[str]:
    """The order's NF-e drafted, numbered, built, signed and stored by fiscal.services, then rolled back."""
    from django.db import transaction

    from fiscal.services import FiscalError, invoice_from_order, invoice_issue

    with transaction.atomic():
        try:
            invoice_issue(invoice=invoice_from_order(order=order, user=issuer), user=issuer, send=False)
        except FiscalError as refusal:
            return refusal.errors or [str(refusal)]
        finally:
            transaction.set_rollback(True)
    return []


def timed(label: str, unit: str, work, arguments: list) -> tuple[Measure, list]:
    """`work(*each)` for each of `arguments`, the garbage collector off (as timeit does): each
    latency, the rate over the whole run, the results."""
    measure, results = Measure(label, unit=unit), []
    gc.disable()
    try:
        began = time.perf_counter()
        for each in arguments:
            started = time.perf_counter()
            results.append(work(*each))
            measure.samples.append(time.perf_counter() - started)
        measure.per_second = len(arguments) / (time.perf_counter() - began)
    finally:
        gc.enable()
    return measure, results


def side_by_side(orders, profile, certificate, tables) -> tuple[Measure, Measure, list]:
    """Each NF-e made from its order, then its binding serialized and signed again bare: the two
    timed in turn, document by document, so that both see the machine as it is at that moment (the
    garbage collector off, as timeit does). Both measures and each NF-e's XSD errors."""
    measure = Measure("NF-e from an order: taxes, build, sign, XSD", unit="NF-e/s")
    anchor = Measure("bare serialize + sign of the same NF-e", unit="NF-e/s")
    errors = []
    gc.disable()
    try:
        for number, order in enumerate(orders, start=1):
            started = time.perf_counter()
            binding, invalid = nfe_of(order, number, profile, certificate, tables)
            made = time.perf_counter()
            serialize_and_sign(binding, certificate)
            measure.samples.append(made - started)
            anchor.samples.append(time.perf_counter() - made)
            errors.append(invalid)
    finally:
        gc.enable()
    for each in (measure, anchor):
        each.per_second = len(each.samples) / sum(each.samples)
    return measure, anchor, errors


@scenario("nfe")
def nfe(bench):
    from django.contrib.auth import get_user_model

    from fiscal.taxes import Tables

    profile, certificate, orders = prepare(bench.nfe)
    tables = Tables.load()
    if len(orders) <= WARM_UP:
        bench.failures.append("nfe: the bench store has no orders ready to ship")
        return []
    side_by_side(orders[:WARM_UP], profile, certificate, tables)
    counted = orders[WARM_UP:]
    measure, anchor, errors = side_by_side(counted, profile, certificate, tables)
    invalid = [(order.number, found) for order, found in zip(counted, errors, strict=True) if found]
    measure.errors = len(invalid)
    issuer = get_user_model().objects.filter(username="bench").first()
    stored, refusals = timed("issued by fiscal.services (stored, rolled back)", "NF-e/s", issue_through_services,
                             [(order, issuer) for order in counted])
    stored.errors = sum(1 for found in refusals if found)
    ratio = measure.per_second / anchor.per_second
    met = measure.per_second >= BUDGET_PER_SECOND and ratio >= BUDGET_RATIO and not invalid
    notes = [f"{len(counted)} NF-e of {len(counted)} orders ready to ship, one process (one core); each NF-e and "
             "its anchor timed in turn"]
    if invalid:
        notes.append(f"{len(invalid)} failed the XSD, first: order {invalid[0][0]}: {invalid[0][1][0]}")
        bench.failures.append(f"nfe: {len(invalid)} NF-e failed the official XSD")
    if stored.errors:
        notes.append(f"fiscal.services refused {stored.errors}, first: {next(f for f in refusals if f)[0]}")
    return [
        Result("nfe", measure, anchor, budget=f"≥ {BUDGET_PER_SECOND}/s, ≥ {BUDGET_RATIO}× anchor", met=met,
               notes=notes, by_rate=True),
        Result("nfe issue (services)", stored, anchor, by_rate=True),
    ]
