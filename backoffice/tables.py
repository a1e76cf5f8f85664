"""The table behind every list screen: columns, sorting, pagination and export.

A view builds a `Table` from a (filtered) queryset; `templates/partials/table.html`
renders it, and `table.export_response()` downloads the same rows as CSV or XLSX (with more
sheets when the list has them: the orders' items).
"""

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .badges import badge
from .exports import FORMATS, Sheet, export_response
from .money import format_money
from .references import reference_links
from .templatetags.backoffice import dt

EMPTY = mark_safe('<span class="text-body-secondary">—</span>')


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # Dotted attribute path, or a callable taking the row object; defaults to `key`.
    accessor: str | Callable[[Any], Any] | None = None
    # The ORM field to order by; None makes the column unsortable.
    sort: str | None = None
    # How the cell is shown: text, code (an identifier such as a SKU, kept on one line), money,
    # datetime, number, badge, bool, changes (see
    # `html`), reference (a key such as "order:2001", linked through backoffice.references), or
    # template (the table includes `template`, with the row as `obj`).
    kind: str = "text"
    template: str | None = None
    # A callable giving the URL the cell links to (an empty one: no link).
    link: Callable[[Any], str] | None = None
    # Show the label of the model field `key`'s choice (what get_FOO_display gives, without
    # building its dict of choices again for every cell).
    display: bool = False

    def value(self, obj):
        if self.display:
            value = getattr(obj, self.key)
            return _choice_labels(type(obj), self.key).get(value, value)
        accessor = self.accessor or self.key
        if callable(accessor):
            return accessor(obj)
        for part in accessor.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj() if callable(obj) else obj

    def html(self, value, code=None):
        """The cell of every kind but `template`, rendered here rather than in the table's
        template: a page of 100 rows has a thousand cells. `code`: a badge's status code, when
        `value` is its label."""
        if value is None or value == "":
            return EMPTY
        if self.kind == "money":
            return format_money(value)
        if self.kind == "code":
            return format_html('<span class="text-nowrap">{}</span>', value)
        if self.kind == "datetime":
            return format_html('<span class="text-nowrap">{}</span>', dt(value))
        if self.kind == "bool":
            return (format_html('<i class="bi bi-check-lg text-success" title="{}"></i>', gettext("Yes")) if value
                    else format_html('<i class="bi bi-x-lg text-body-tertiary" title="{}"></i>', gettext("No")))
        if self.kind == "badge":
            return badge(value, value if code is None else code)
        if self.kind == "changes":
            return render_to_string("partials/changes.html", {"changes": value})
        return value


@dataclass(frozen=True)
class ExportSheet:
    """A sheet of a list's spreadsheet: its columns, and the objects of its rows, given by
    `objects(table)` from the list's filtered and sorted queryset. An XLSX holds every sheet of
    the list; a CSV the one `?sheet=<key>` names, or the first."""

    key: str
    title: str
    columns: list
    objects: Callable[[Any], Any] = lambda table: table.queryset


@cache
def _choice_labels(model, field):
    return dict(model._meta.get_field(field).flatchoices)


class CappedPaginator(Paginator):
    """Counts no further than `cap` rows (a COUNT over a LIMIT subquery): a list of a million
    rows pages as cheaply as one of ten thousand. Beyond the cap the total reads "more than",
    and the rows further on are reached by filtering or sorting."""

    def __init__(self, object_list, per_page, *, cap):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _counted(self):
        # Unordered: the planner may take any index of the filter instead of walking the sort's.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self):
        return self._counted > self.cap

    @cached_property
    def count(self):
        return min(self._counted, self.cap)


class Table:
    per_page_choices = (25, 50, 100)

    def __init__(self, request, queryset, columns, *, default_sort, id="results", target=None, export_columns=None,
                 export_sheets=None):
        self.columns = columns
        self.id = id
        # The element its sorting and paging links reload: the table itself, or a block around it.
        self.target = target or id
        # What the spreadsheet gets, when it differs from what the screen shows: other columns,
        # or sheets of their own (the first is the list's).
        self.export_sheets = export_sheets or [ExportSheet("", "", export_columns or columns)]
        self.export_format = request.GET.get("export") if request.GET.get("export") in FORMATS else None
        self.csv_sheet = request.GET.get("sheet", "")  # which sheet a CSV download is of
        sortable = {c.sort for c in columns if c.sort}
        requested = request.GET.get("sort", "")
        self.sort = requested if requested.lstrip("-") in sortable else default_sort
        # A unique tie-breaker keeps pages stable when many rows share the sorted value.
        tie = "-pk" if self.sort.startswith("-") else "pk"
        self.ordering = tuple(dict.fromkeys((self.sort, tie)))
        self.queryset = queryset.order_by(*self.ordering)
        try:
            per_page = int(request.GET.get("per_page", self.per_page_choices[0]))
        except ValueError:
            per_page = self.per_page_choices[0]
        self.per_page = per_page if per_page in self.per_page_choices else self.per_page_choices[0]
        self.page = CappedPaginator(self.queryset, self.per_page, cap=settings.LIST_COUNT_CAP).get_page(
            request.GET.get("page"))

    @property
    def headers(self):
        for column in self.columns:
            if column.sort is None:
                yield column, None, None
                continue
            direction = None
            if self.sort == column.sort:
                direction = "asc"
            elif self.sort == "-" + column.sort:
                direction = "desc"
            next_sort = "-" + column.sort if direction == "asc" else column.sort
            yield column, direction, next_sort

    @property
    def rows(self):
        """(object, [(column, cell)]): the cell is the column's HTML, linked where the column
        links, or None for a `template` column (the table's template includes it)."""
        # The page's references, named and linked by their owners in one query per kind.
        links = reference_links(column.value(obj) for obj in self.page.object_list for column in self.columns
                                if column.kind == "reference")
        for obj in self.page.object_list:
            yield obj, [(column, None if column.kind == "template" else self._cell(column, obj, links))
                        for column in self.columns]

    @staticmethod
    def _cell(column, obj, links):
        value = column.value(obj)
        if column.kind == "reference" and value in links:
            label, url = links[value]
            return format_html('<a href="{}">{}</a>', url, label)
        html = column.html(value, getattr(obj, column.key) if column.display else None)
        url = column.link(obj) if column.link else ""
        return format_html('<a href="{}">{}</a>', url, html) if url else html

    @property
    def more_csv_sheets(self):
        """The sheets after the first, each downloadable as a CSV of its own."""
        return self.export_sheets[1:]

    def export_response(self, *, filename):
        sheets = self.export_sheets
        if self.export_format == "csv":
            sheet = next((s for s in sheets[1:] if s.key == self.csv_sheet), sheets[0])
            if sheet is not sheets[0]:
                filename = f"{filename}-{sheet.key}"
            sheets = [sheet]
        return export_response(*(self._sheet(sheet, filename) for sheet in sheets), fmt=self.export_format,
                               filename=filename)

    def _sheet(self, sheet, filename):
        rows = ([column.value(obj) for column in sheet.columns]
                for obj in sheet.objects(self).iterator(chunk_size=2000))
        return Sheet.of_columns(str(sheet.title or filename), sheet.columns, rows)


def table_response(request, template, table, *, filename, **context):
    """A list screen's answer: the spreadsheet when `?export=csv|xlsx` asks for it, else the page."""
    if table.export_format:
        return table.export_response(filename=filename)
    return render_list(request, template, {"table": table, **context})


def render_list(request, template, context):
    """A list screen: the whole page, or only its `results` partial (the table) for the
    HTMX requests of its filter bar, sorting links and pagination. A history restore
    (back button after a cache miss) gets the whole page."""
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, f"{template}#results" if partial else template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
