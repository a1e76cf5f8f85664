from django.db import migrations

from backoffice.roles import grant

VIEW = ["fiscal.view_invoice", "fiscal.view_invoiceevent", "fiscal.view_voidedrange", "fiscal.view_sefazstatus",
        "fiscal.view_fiscalprofile", "fiscal.view_series", "fiscal.view_taxrule", "fiscal.view_statetaxrate"]
FINANCE = VIEW + [
    "fiscal.issue_invoice", "fiscal.cancel_invoice", "fiscal.change_fiscalprofile", "fiscal.add_fiscalprofile",
    "fiscal.add_series", "fiscal.change_series", "fiscal.add_taxrule", "fiscal.change_taxrule",
    "fiscal.delete_taxrule", "fiscal.change_statetaxrate",
]


def setup(apps, schema_editor):
    grant(apps, {
        "finance": FINANCE,
        # Managers read everything and may cancel (never an invoice they issued themselves).
        "manager": VIEW + ["fiscal.cancel_invoice"],
        # Staff print the DANFE that travels with the parcel.
        "staff": ["fiscal.view_invoice"],
        "ops": ["fiscal.view_sefazstatus"],
        "admin": FINANCE,
    })


class Migration(migrations.Migration):
    dependencies = [("fiscal", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
