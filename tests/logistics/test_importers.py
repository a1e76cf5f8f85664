"""The freight-table import (logistics.importers) through the import kit's screens and its worker's
processing: a Brazilian Excel's CSV (Windows-1252, ";", 1.234,56) and an XLSX, rows that replace
or add to a service's table, every bad row reported and nothing changed, and a table's export or
the import's template sent back as it is."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _

from backoffice.imports import IMPORTERS, register_importer
from backoffice.models import AuditEvent, ImportFile
from backoffice.services import import_process
from logistics.importers import LABELS, FreightRateImporter
from logistics.models import Carrier, CarrierService, FreightRate
from logistics.quotes import Parcel, service_option
from tests.backoffice.spreadsheets import xlsx

KIND = "logistics.freight_rates"


@pytest.fixture(autouse=True)
def freight_importer():
    """The importer, registered as the app registers it when it starts."""
    if KIND not in IMPORTERS:
        register_importer(FreightRateImporter())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, file):
    response = client.post(f"/imports/new/{KIND}/", {"file": file})
    assert response.status_code == 302, response.content.decode()[-2000:]
    record = ImportFile.objects.latest("pk")
    assert record.status == "pending"  # kept as received, before any processing
    return import_process(import_id=record.pk)  # what the worker's task does


def report(record):
    return {item["row"]: " | ".join(item["errors"]) for item in record.report}


def table(service):
    return sorted((r.cep_start, r.cep_end, r.weight_up_to_kg, r.price, r.days) for r in service.rates.all())


def test_a_brazilian_excels_csv_in_windows_1252_replaces_and_adds_rows(client_as, carriers):
    # Each column is known by its key or its label: "Preço" (ç is one byte, 0xE7, in Windows-1252)
    # names the price.
    text = ("service;cep_start;cep_end;weight_up_to_kg;Preço;Dias\r\n"
            "correios/03220;01000-000;05999-999;1,000;23,90;1\r\n"  # SEDEX São Paulo 1 kg: 21,50 → 23,90
            "03220;06000000;09999999;1,5;1.234,56;2\r\n"  # SEDEX's code alone; a new range
            "Jadlog / package;01000-000;05999-999;10;R$ 16,50;3\r\n")  # a new 10 kg band of Jadlog's range
    body = text.encode("cp1252")
    assert b"Pre\xe7o" in body
    record = upload(client_as("staff"), SimpleUploadedFile("tabela.csv", body, content_type="text/csv"))
    assert (record.status, record.rows_applied) == ("done", 3), record.report
    sedex, package = carriers["sedex"], carriers["package"]
    assert sedex.rates.get(cep_start="01000000", weight_up_to_kg=1).price == Decimal("23.90")
    added = sedex.rates.get(cep_start="06000000")
    assert (added.cep_end, added.weight_up_to_kg, added.price, added.days) == ("09999999", Decimal("1.500"),
                                                                              Decimal("1234.56"), 2)
    assert package.rates.get(weight_up_to_kg=10).price == Decimal("16.50")
    assert (sedex.rates.count(), package.rates.count()) == (7, 6)
    # The quotes read the new table.
    parcel = Parcel(Decimal("0.5"), Decimal(10), Decimal(10), Decimal(10))
    assert service_option(sedex, cep="01310100", parcel=parcel).price == Decimal("23.90")
    # One audit event per table, saying what the import did.
    notes = dict(AuditEvent.objects.filter(action="carrierservice.rates_imported").values_list("object_id", "note"))
    assert set(notes) == {str(sedex.pk), str(package.pk)}
    assert f"import:{record.pk}" in notes[str(sedex.pk)]


def test_an_xlsx_with_real_numbers_and_english_headers_fills_a_new_services_table(client_as, carriers):
    loggi = Carrier.objects.create(code="loggi", name="Loggi")
    express = CarrierService.objects.create(carrier=loggi, code="express", name="Express")
    content = xlsx([
        ["Service", "From CEP", "To CEP", "Up to (kg)", "Price", "Days"],
        # Excel keeps a CEP typed as a number without its leading zero: 1000000 is 01000-000.
        ["loggi/express", 1000000, 5999999, 1, 12.9, 1],
        ["LOGGI/EXPRESS", 1000000, 5999999, 5.5, 20, 1],
        ["express", "30000-000", "39999-999", 30, 59.99, 3],
    ])
    record = upload(client_as("staff"), SimpleUploadedFile("loggi.xlsx", content))
    assert (record.status, record.rows_applied) == ("done", 3), record.report
    assert table(express) == [("01000000", "05999999", Decimal("1.000"), Decimal("12.90"), 1),
                              ("01000000", "05999999", Decimal("5.500"), Decimal("20.00"), 1),
                              ("30000000", "39999999", Decimal("30.000"), Decimal("59.99"), 3)]


def test_bad_rows_are_each_reported_and_nothing_is_imported(client_as, carriers):
    other = Carrier.objects.create(code="transp", name="Transportadora")
    CarrierService.objects.create(carrier=other, code="package", name="Package")  # Jadlog's code too
    before = sorted(FreightRate.objects.values_list("service_id", "cep_start", "cep_end", "weight_up_to_kg",
                                                    "price", "days"))
    text = (
        "service;cep_start;cep_end;weight_up_to_kg;price;days\n"
        "correios/03220;01000-000;05999-999;1;99,00;1\n"  # 2: good (it would replace R$ 21,50)
        "nada;01000-000;05999-999;1;10;1\n"  # 3: no such service
        "03220;0100-000;05999-999;1;10;1\n"  # 4: a CEP of 7 digits
        "03220;05999-999;01000-000;1;10;1\n"  # 5: the range backwards
        "03220;01000-000;05999-999;0;10;1\n"  # 6: no weight
        "03220;01000-000;05999-999;2;-1;1\n"  # 7: a negative price
        "03220;01000-000;05999-999;1.250;10;1\n"  # 8: 1250 kg or 1,25 kg?
        "correios/03220;01000-000;05999-999;1;98,00;1\n"  # 9: row 2 again
        "03220;03000-000;06999-999;1;10;1\n"  # 10: overlaps the stored São Paulo range
        "package;01000-000;05999-999;1;10;1\n"  # 11: Jadlog's or Transportadora's?
        "03220;01000-000;05999-999;1;10;\n"  # 12: no days
    )
    record = upload(client_as("staff"), SimpleUploadedFile("tabela.csv", text.encode("utf-8")))
    assert record.status == "rejected"
    rows = report(record)
    assert set(rows) == set(range(3, 13))
    assert "“nada”" in rows[3]
    assert str(LABELS["cep_start"]) in rows[4] and "01310-100" in rows[4]
    assert _("The range ends at or after the CEP it starts from.") in rows[5]
    assert str(LABELS["weight_up_to_kg"]) in rows[6]
    assert str(LABELS["price"]) in rows[7]
    assert "1.234,567" in rows[8]  # the form's example of a weight in the reader's format
    assert _("duplicated: the same as row %(row)d") % {"row": 2} in rows[9]
    assert "03000-000–06999-999" in rows[10] and "01000-000–05999-999" in rows[10]
    assert "jadlog/package" in rows[11] and "transp/package" in rows[11]
    assert str(LABELS["days"]) in rows[12]
    after = sorted(FreightRate.objects.values_list("service_id", "cep_start", "cep_end", "weight_up_to_kg",
                                                   "price", "days"))
    assert after == before
    assert not AuditEvent.objects.filter(action="carrierservice.rates_imported").exists()


def test_ranges_of_a_file_that_overlap_each_other_are_refused(client_as, carriers):
    text = ("service;cep_start;cep_end;weight_up_to_kg;price;days\n"
            "moto;01000-000;01999-999;1;10;1\n"
            "moto;01000-000;01999-999;5;12;1\n"  # the same range's next band: fine
            "moto;01500-000;02999-999;1;11;1\n")  # inside the first range and past it
    record = upload(client_as("staff"), SimpleUploadedFile("moto.csv", text.encode("utf-8")))
    rows = report(record)
    assert set(rows) == {2, 4}
    # Each of the two rows is told of the other's range.
    assert "01500-000–02999-999" in rows[2] and "01000-000–01999-999" in rows[4]
    assert not carriers["own"].rates.exists()


def test_a_file_without_a_column_is_refused_as_a_whole(client_as, carriers):
    record = upload(client_as("staff"), SimpleUploadedFile(
        "tabela.csv", b"service;cep_start;cep_end;weight_up_to_kg;days\n03220;01000000;01999999;1;1\n"))
    assert record.status == "rejected"
    assert list(report(record)) == [None]
    assert str(LABELS["price"]) in report(record)[None]


def test_a_tables_export_comes_back_as_it_went(client_as, carriers):
    client = client_as("staff")
    sedex = carriers["sedex"]
    exported = b"".join(client.get(f"/logistics/services/{sedex.pk}/rates/", {"export": "csv"}).streaming_content)
    assert "correios/03220;01000-000;05999-999;1,000;21,50;1" in exported.decode("utf-8-sig")
    before = table(sedex)
    record = upload(client, SimpleUploadedFile("sedex.csv", exported))
    assert (record.status, record.rows_applied) == ("done", 6), record.report
    assert table(sedex) == before
    assert AuditEvent.objects.get(action="carrierservice.rates_imported").note == _(
        "Rows added: %(added)d; replaced: %(replaced)d (%(reference)s).") % {
        "added": 0, "replaced": 6, "reference": f"import:{record.pk}"}


def test_the_imports_template_is_a_file_it_takes(client_as, carriers):
    client = client_as("staff")
    template = b"".join(client.get(f"/imports/template/{KIND}.xlsx").streaming_content)
    before = table(carriers["sedex"])
    record = upload(client, SimpleUploadedFile("modelo.xlsx", template))
    # Its rows are three of SEDEX's, as the fixtures have them.
    assert (record.status, record.rows_applied) == ("done", 3), record.report
    assert table(carriers["sedex"]) == before


def test_only_who_keeps_the_tables_may_import_them(client_as, carriers):
    response = client_as("manager").get(f"/imports/new/{KIND}/")
    assert response.status_code == 403
