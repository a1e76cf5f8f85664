"""Spreadsheet import of the carriers' freight tables: a row per CEP range and weight band of a
service (named by its code, or by "carrier/service" where carriers share a code). A row of the
same service, range and band replaces the stored one, the others are added: to replace a table
whole, delete it first. A table's export (its screen's CSV/XLSX) is the import format."""

from collections import defaultdict
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.imports import Importer, cell_text, form_value, mark_duplicates
from backoffice.money import DECIMAL_PLACES
from backoffice.tables import Column
from backoffice.text import format_cep

from . import configuration
from .carrier_forms import FreightRateRowForm
from .models import CarrierService, FreightRate


def service_reference(service: CarrierService) -> str:
    """How a file names `service`: "correios/03220"."""
    return f"{service.carrier.code}/{service.code}"


RATE_COLUMNS = (
    Column("service", gettext_lazy("Service"), accessor=lambda rate: service_reference(rate.service)),
    Column("cep_start", gettext_lazy("From CEP"), accessor=lambda rate: format_cep(rate.cep_start), kind="code"),
    Column("cep_end", gettext_lazy("To CEP"), accessor=lambda rate: format_cep(rate.cep_end), kind="code"),
    Column("weight_up_to_kg", gettext_lazy("Up to (kg)"), kind="number"),
    Column("price", capfirst(gettext_lazy("price")), kind="money"),
    Column("days", gettext_lazy("Days"), kind="number"),
)
LABELS = {column.key: column.label for column in RATE_COLUMNS}
# Read as Decimals to these places, whatever the language the file was written in.
PLACES = {"weight_up_to_kg": 3, "price": DECIMAL_PLACES}
CEPS = ("cep_start", "cep_end")


def _cep_cell(value):
    """A CEP cell as text: a spreadsheet's number lost its leading zeros (1310100 is 01310100)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value) \
            and 0 <= value < 10**8:
        return f"{int(value):08d}"
    return cell_text(value)


class _ServiceIndex:
    """Every service, by "carrier/service" and by its code alone (case aside)."""

    def __init__(self):
        self.by_reference, self.by_code = {}, defaultdict(list)
        for service in CarrierService.objects.select_related("carrier"):
            self.by_reference[service_reference(service).casefold()] = service
            self.by_code[service.code.casefold()].append(service)

    def find(self, text: str) -> tuple[CarrierService | None, str]:
        """The service `text` names, or None and why not."""
        key = "/".join(part.strip() for part in text.split("/", 1)).casefold()
        if key in self.by_reference:
            return self.by_reference[key], ""
        found = self.by_code.get(key, [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, _("several carriers have a service “%(code)s”: write it as %(examples)s") % {
                "code": text, "examples": _(" or ").join(service_reference(s) for s in found)}
        return None, _("no carrier has the service “%(service)s” (write its code, or carrier/service such as "
                       "correios/03220)") % {"service": text}


def _range(start: str, end: str) -> str:
    return f"{format_cep(start)}–{format_cep(end)}"


def _overlaps(rows) -> None:
    """Mark the rows whose CEP range overlaps another range of the same service, in the file or
    in its table, without being the same range: a CEP falls in one range of a table (whose rows
    are that range's weight bands), or its price would depend on which row is read first."""
    ranges = defaultdict(dict)  # service id → {(start, end): None when stored, else its first row}
    services = {row.cleaned["service"].pk for row in rows if row.cleaned}
    for service_id, start, end in (FreightRate.objects.filter(service_id__in=services)
                                   .values_list("service_id", "cep_start", "cep_end").distinct()):
        ranges[service_id][start, end] = None
    for row in rows:
        if row.cleaned:
            ranges[row.cleaned["service"].pk].setdefault((row.cleaned["cep_start"], row.cleaned["cep_end"]), row)
    for service_ranges in ranges.values():
        furthest = None  # the row and range, of those seen so far, that reaches furthest
        for (start, end), row in sorted(service_ranges.items()):
            if furthest is not None and start <= furthest[1][1]:
                _overlap(row, (start, end), *furthest)
                _overlap(*furthest, row, (start, end))
            if furthest is None or end > furthest[1][1]:
                furthest = (row, (start, end))


def _overlap(row, own, other_row, other) -> None:
    if row is None:
        return
    values = {"range": _range(*own), "other": _range(*other)}
    if other_row is None:
        row.errors.append(_("CEPs %(range)s overlap the range %(other)s of the table: a CEP is in one range of a "
                            "table (delete the table to replace it)") % values)
    else:
        row.errors.append(_("CEPs %(range)s overlap the range %(other)s of row %(row)d: a CEP is in one range of a "
                            "table") % {**values, "row": other_row.number})


class FreightRateImporter(Importer):
    """Rows of the services' freight tables: service, CEP range, weight band, price and days."""

    kind = "logistics.freight_rates"
    label = gettext_lazy("Import freight table")
    permission = "logistics.add_freightrate"
    columns = RATE_COLUMNS
    example = (
        ("correios/03220", "01000-000", "05999-999", Decimal("1.000"), Decimal("21.50"), 1),
        ("correios/03220", "01000-000", "05999-999", Decimal("5.000"), Decimal("32.90"), 1),
        ("correios/03220", "30000-000", "39999-999", Decimal("1.000"), Decimal("45.10"), 3),
    )
    return_url_name = "logistics:carrier_list"

    def clean_rows(self, rows):
        services = _ServiceIndex()
        for row in rows:
            data = {key: form_value(_cep_cell(row.data.get(key)) if key in CEPS else row.data.get(key),
                                    places=PLACES.get(key)) for key in LABELS if key != "service"}
            form = FreightRateRowForm(data)
            for field, messages in form.errors.items():
                row.errors.extend(f"{LABELS[field]}: {message}" for message in messages)
            service, problem = services.find(cell_text(row.data.get("service")))
            if problem:
                row.errors.append(f"{LABELS['service']}: {problem}")
            if not row.errors:
                row.cleaned = {**form.cleaned_data, "service": service}
        mark_duplicates(rows, lambda row: row.cleaned and (row.cleaned["service"].pk, row.cleaned["cep_start"],
                                                        row.cleaned["cep_end"], row.cleaned["weight_up_to_kg"]))
        _overlaps(rows)

    def apply_row(self, row, *, user, reference):
        rate = row.cleaned
        rate["added"] = configuration.freight_rate_put(
            service_id=rate["service"].pk, cep_start=rate["cep_start"], cep_end=rate["cep_end"],
            weight_up_to_kg=rate["weight_up_to_kg"], price=rate["price"], days=rate["days"])

    def finish(self, rows, *, user, reference):
        counts = defaultdict(lambda: [0, 0])  # service → [added, replaced]
        for row in rows:
            counts[row.cleaned["service"]][0 if row.cleaned["added"] else 1] += 1
        for service, (added, replaced) in counts.items():
            configuration.freight_table_imported(service=service, added=added, replaced=replaced, user=user,
                                                 reference=reference)
