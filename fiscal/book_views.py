"""The books' screens: the outgoing and incoming invoice books of a period with their totals, the
period's tax summary, and the download of the period's XML files (ZIP) for the accountant."""

from functools import partial

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from backoffice.dates import month_after, month_before
from backoffice.exports import FORMATS
from backoffice.forms import DateField
from backoffice.http import flash_form_errors
from backoffice.params import BoundedDateField
from backoffice.roles import require
from backoffice.tables import Table, table_response

from .books import BOOK_TITLES, BOOKS, MAX_DAYS, Book, Period, TaxSummary
from .exports import BOOK_COLUMNS, TOTALS, archive_response, book_sheets, tax_summary_response

# The books show cancellations and the archive holds the events and voided ranges: the roles that
# read all of them (finance, managers, admins) — not staff, who only print DANFEs.
VIEW_BOOKS = ("fiscal.view_invoice", "fiscal.view_invoiceevent", "fiscal.view_voidedrange")


class PeriodForm(forms.Form):
    """A month, or the days from–to (dd/mm/aaaa in pt-BR)."""

    month = BoundedDateField(label=gettext_lazy("Month"), required=False, input_formats=["%Y-%m"],
                             widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    first = DateField(label=gettext_lazy("First day"), required=False)
    last = DateField(label=gettext_lazy("Last day"), required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if (first or last) and not (first and last and 0 <= (last - first).days < MAX_DAYS):
            raise forms.ValidationError(_("Give both days of the period, the last on or after the first, "
                                          "%(days)d days at most.") % {"days": MAX_DAYS})
        return data

    @property
    def period(self) -> Period:
        """The period asked for, or this month when none is (or the form is not valid)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("first"):
            return Period(data["first"], data["last"])
        return Period.month(data.get("month") or timezone.localdate())


def _period(request) -> tuple[PeriodForm, Period]:
    form = PeriodForm(request.GET if request.GET.keys() & {"month", "first", "last"} else None)
    return form, form.period


def _navigation(period: Period) -> dict:
    """The period's query string, and the months before and after its first day."""
    return {
        "period": period,
        "query": f"first={period.first.isoformat()}&last={period.last.isoformat()}",
        "previous": f"{month_before(period.first):%Y-%m}",
        "following": f"{month_after(period.first):%Y-%m}",
    }


def _totals_tables(book: Book) -> list[dict]:
    """Each totals table of the book as cells, with its total line (read by the whole page only,
    not by the HTMX partial of the invoices' table)."""
    tables = []
    for totals in TOTALS:
        columns = totals.columns
        total = [_("Total"), *(column.html(column.value(book.total)) for column in columns[1:])]
        tables.append({"totals": totals, "columns": columns, "total": total,
                       "rows": [[column.html(column.value(row)) for column in columns] for row in totals.rows(book)]})
    return tables


@require(*VIEW_BOOKS)
@require_GET
def books(request):
    """A book of the period: its invoices (cancelled ones marked, not summed) and its totals by CFOP,
    CST/CSOSN and UF; ?export=csv|xlsx downloads it."""
    kind = request.GET.get("book") if request.GET.get("book") in BOOKS else "outgoing"
    form, period = _period(request)
    book = Book(kind, period)
    table = Table(request, book.invoices, BOOK_COLUMNS, default_sort="issued_at", export_sheets=book_sheets(book))
    return table_response(request, "fiscal/books/books.html", table, filename=f"{kind}-book-{period.slug}",
                          form=form, book=book, kind=kind, books=BOOK_TITLES.items(),
                          tables=partial(_totals_tables, book), **_navigation(period))


@require(*VIEW_BOOKS)
@require_GET
def tax_summary(request):
    """The period's taxes, outgoing (debits) beside incoming (credits); ?export=csv|xlsx downloads it."""
    form, period = _period(request)
    summary = TaxSummary(period)
    if request.GET.get("export") in FORMATS:
        return tax_summary_response(summary, fmt=request.GET["export"])
    return render(request, "fiscal/books/tax_summary.html", {"form": form, "summary": summary,
                                                               "books": BOOK_TITLES.items(), **_navigation(period)})


@require(*VIEW_BOOKS)
@require_GET
def xml_archive(request):
    """The ZIP of every XML file of the period (authorized, cancelled, events, voided ranges)."""
    form, period = _period(request)
    if form.is_bound and not form.is_valid():
        flash_form_errors(request, form)
        return redirect("fiscal:books")
    return archive_response(period)
