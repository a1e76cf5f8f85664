"""The IBGE municipalities (orders/data/ibge, MIT-licensed; see its NOTES.md)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "ibge"


def load(apps, schema_editor):
    City = apps.get_model("orders", "City")
    with open(DATA / "estados.csv", encoding="utf-8-sig") as handle:
        ufs = {row["codigo_uf"]: row["uf"] for row in csv.DictReader(handle)}
    with open(DATA / "municipios.csv", encoding="utf-8") as handle:
        cities = [City(code=row["codigo_ibge"], name=row["nome"], uf=ufs[row["codigo_uf"]]) for row in csv.DictReader(handle)]
    City.objects.bulk_create(cities, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
