"""The fiscal books the accountant keeps: the invoices issued in a period, outgoing (livro de
saídas) and incoming (livro de entradas: our entry NF-e, the customers' returns), with their totals by
CFOP, by CST/CSOSN and by the recipient's UF, and the period's tax summary. Everything is summed in
the database, as Decimal.

A book lists every invoice SEFAZ decided on in the period (authorized, cancelled, denied) of the
environment the store issues in; only the authorized ones are summed — a cancelled or denied NF-e is
listed, marked, without values. Its day is its issue date (dhEmi), in São Paulo."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from backoffice.dates import day_span, period_bounds
from backoffice.money import ZERO, cents

from .models import Environment, FiscalProfile, Invoice, InvoiceItem, VoidedRange

Status = Invoice.Status
LISTED = (Status.AUTHORIZED, Status.CANCELLED, Status.DENIED)
BOOKS = {"outgoing": Invoice.Direction.OUTGOING, "incoming": Invoice.Direction.INCOMING}
BOOK_TITLES = {"outgoing": _("Outgoing invoices"), "incoming": _("Incoming invoices")}
# What the totals tables sum: the item's figure, in the order the tables show them.
ITEM_TOTALS = {
    "total": _("Accounting value"),
    "icms_base": _("ICMS base"),
    "icms_amount": _("ICMS"),
    "st_base": _("ICMS-ST base"),
    "st_amount": _("ICMS-ST"),
    "fcp_amount": _("FCP"),
    "difal_amount": _("DIFAL"),
    "ipi_amount": _("IPI"),
    "pis_amount": _("PIS"),
    "cofins_amount": _("COFINS"),
    "ibs_amount": _("IBS"),
    "cbs_amount": _("CBS"),
}
# The invoice's totals the tax summary adds up.
TAXES = {
    "icms_total": _("ICMS"),
    "st_total": _("ICMS-ST"),
    "difal_total": _("DIFAL (destination UF)"),
    "fcp_total": _("FCP"),
    "ipi_total": _("IPI"),
    "pis_total": _("PIS"),
    "cofins_total": _("COFINS"),
    "ibs_total": _("IBS"),
    "cbs_total": _("CBS"),
}
MONEY = DecimalField(max_digits=14, decimal_places=2)
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, São Paulo's days, both included."""

    first: date
    last: date

    @classmethod
    def month(cls, day: date) -> "Period":
        return cls(*period_bounds("month", day))

    @property
    def is_month(self) -> bool:
        return (self.first, self.last) == period_bounds("month", self.first)

    @property
    def span(self):
        return day_span(self.first, self.last)

    @property
    def slug(self) -> str:
        """`2026-12` for a month, `2026-12-01-2026-12-15` otherwise: for file names."""
        return f"{self.first:%Y-%m}" if self.is_month else f"{self.first}-{self.last}"

    def __str__(self):
        return f"{date_format(self.first, 'SHORT_DATE_FORMAT')} – {date_format(self.last, 'SHORT_DATE_FORMAT')}"


def parse_month(text: str) -> date:
    """The first day of the month "YYYY-MM" names; ValueError otherwise."""
    year, dash, month = text.strip().partition("-")
    if not (dash and len(year) == 4 and year.isascii() and year.isdigit() and len(month) == 2
            and month.isascii() and month.isdigit()):
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return date(int(year), int(month), 1)


def store_environment() -> int:
    """The environment the store issues in (its profile's): the books and the archives are of it."""
    environment = FiscalProfile.objects.filter(pk=1).values_list("environment", flat=True).first()
    return Environment.PRODUCTION if environment is None else environment


def issued_in(period: Period, *, environment: int) -> QuerySet:
    """The invoices SEFAZ decided on, issued in `period` in `environment`, every direction."""
    return Invoice.objects.filter(environment=environment, status__in=LISTED, issued_at__range=period.span)


def _sums(fields) -> dict:
    """Each of `fields` summed, 0.00 when there is nothing to sum."""
    return {field: Coalesce(Sum(field), Value(ZERO), output_field=MONEY) for field in fields}


def _in_cents(row: dict) -> dict:
    """A row of sums with its amounts to the cent (SQLite sums decimals as floats; PostgreSQL's are exact)."""
    return {name: cents(value) if isinstance(value, Decimal) else value for name, value in row.items()}


class Book:
    """The book `kind` ("outgoing" or "incoming") of `period`: its invoices and its totals, each
    computed (in one query) when first read."""

    def __init__(self, kind: str, period: Period, *, environment: int | None = None):
        self.kind = kind
        self.direction = BOOKS[kind]
        self.period = period
        self.environment = store_environment() if environment is None else environment

    @property
    def title(self):
        return BOOK_TITLES[self.kind]

    @property
    def invoices(self) -> QuerySet:
        """The listed invoices, oldest first, each with the CFOPs and CST/CSOSN of its items."""
        items = InvoiceItem.objects.only("invoice_id", "position", "cfop", "icms_code").order_by("position")
        return (issued_in(self.period, environment=self.environment).filter(direction=self.direction)
                .prefetch_related(Prefetch("items", queryset=items, to_attr="book_items"))
                .order_by("issued_at", "series", "number", "pk"))

    @property
    def items(self) -> QuerySet:
        """The items of the summed (authorized) invoices."""
        return InvoiceItem.objects.filter(invoice__in=self.invoices.filter(status=Status.AUTHORIZED).values("pk"))

    def _grouped(self, key: str, source: str = "") -> list[dict]:
        items = self.items.values(**{key: F(source)}) if source else self.items.values(key)
        rows = items.annotate(invoices=Count("invoice", distinct=True), **_sums(ITEM_TOTALS)).order_by(key)
        return [_in_cents(row) for row in rows]

    @cached_property
    def by_cfop(self) -> list[dict]:
        return self._grouped("cfop")

    @cached_property
    def by_cst(self) -> list[dict]:
        """By CST (Regime Normal) or CSOSN (Simples Nacional): the item's ICMS code."""
        return self._grouped("icms_code")

    @cached_property
    def by_uf(self) -> list[dict]:
        return self._grouped("uf", "invoice__recipient_uf")

    @cached_property
    def total(self) -> dict:
        return _in_cents(self.items.aggregate(invoices=Count("invoice", distinct=True), **_sums(ITEM_TOTALS)))

    @cached_property
    def not_summed(self) -> int:
        """How many listed invoices were cancelled or denied."""
        return self.invoices.exclude(status=Status.AUTHORIZED).count()


def cfops(invoice: Invoice) -> str:
    """The CFOPs of a listed invoice's items, in their order: "5102, 5405"."""
    return ", ".join(dict.fromkeys(item.cfop for item in invoice.book_items))


def icms_codes(invoice: Invoice) -> str:
    return ", ".join(dict.fromkeys(item.icms_code for item in invoice.book_items))


def summed(field: str):
    """A listed invoice's `field`, or None when it is not summed (cancelled, denied)."""
    return lambda invoice: getattr(invoice, field) if invoice.status == Status.AUTHORIZED else None


@dataclass(frozen=True)
class TaxLine:
    tax: str
    outgoing: Decimal
    incoming: Decimal

    @property
    def balance(self) -> Decimal:
        """Owed on the way out less credited on the way in (before the accountant's adjustments)."""
        return self.outgoing - self.incoming


class TaxSummary:
    """The taxes of `period`'s authorized invoices, outgoing (debits) beside incoming (credits), and
    how many documents of each kind there were."""

    def __init__(self, period: Period, *, environment: int | None = None):
        self.period = period
        self.environment = store_environment() if environment is None else environment

    @cached_property
    def _sums(self) -> dict:
        authorized = issued_in(self.period, environment=self.environment).filter(status=Status.AUTHORIZED)
        sums = {}
        for kind, direction in BOOKS.items():
            for field in ("total", *TAXES):
                sums[f"{kind}_{field}"] = Coalesce(Sum(field, filter=Q(direction=direction)), Value(ZERO),
                                                   output_field=MONEY)
        return _in_cents(authorized.aggregate(**sums))

    @property
    def lines(self) -> list[TaxLine]:
        return [TaxLine(label, self._sums[f"outgoing_{field}"], self._sums[f"incoming_{field}"])
                for field, label in TAXES.items()]

    @property
    def totals(self) -> TaxLine:
        """The invoices' totals (vNF), as the tax lines are laid out."""
        return TaxLine(_("Invoices' total"), self._sums["outgoing_total"], self._sums["incoming_total"])

    @cached_property
    def counts(self) -> dict:
        """{kind: {status: invoices}} of every listed status: counts["outgoing"]["cancelled"]."""
        counts = {kind: dict.fromkeys(LISTED, 0) for kind in BOOKS}
        kinds = {direction: kind for kind, direction in BOOKS.items()}
        for row in (issued_in(self.period, environment=self.environment).values("direction", "status")
                    .annotate(n=Count("pk")).order_by()):
            counts[kinds[row["direction"]]][row["status"]] = row["n"]
        return counts

    @property
    def count_rows(self) -> list[tuple]:
        """(status label, outgoing, incoming) of each listed status."""
        return [(Status(status).label, self.counts["outgoing"][status], self.counts["incoming"][status])
                for status in LISTED]

    @cached_property
    def voided_numbers(self) -> int:
        """The numbers voided (inutilizados) with SEFAZ in the period."""
        voided = VoidedRange.objects.filter(environment=self.environment, status=VoidedRange.Status.REGISTERED,
                                            registered_at__range=self.period.span)
        return voided.aggregate(n=Coalesce(Sum(F("last") - F("first") + 1), 0))["n"]
