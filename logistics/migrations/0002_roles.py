from django.db import migrations

from backoffice.roles import grant

VIEW = ["logistics.view_carrier", "logistics.view_carrierservice", "logistics.view_freightrate", "logistics.view_box",
        "logistics.view_shipment", "logistics.view_shipmentitem", "logistics.view_trackingevent",
        "logistics.view_returnrequest", "logistics.view_returnitem"]
# The carriers, their tables and the boxes: what the quotes and the promises rest on.
SETTINGS = ["logistics.add_carrier", "logistics.change_carrier", "logistics.add_carrierservice",
            "logistics.change_carrierservice", "logistics.add_freightrate", "logistics.change_freightrate",
            "logistics.delete_freightrate", "logistics.add_box", "logistics.change_box"]


def setup(apps, schema_editor):
    grant(apps, {
        # Staff pick, pack and ship, keep the carriers' tables, and take returns back (approve,
        # receive, inspect); finance closes them: the refund and the return NF-e.
        "staff": VIEW + SETTINGS + ["logistics.ship_shipment", "logistics.add_returnrequest",
                                    "logistics.handle_returnrequest"],
        "finance": VIEW + ["logistics.close_returnrequest"],
        "manager": VIEW,
        # Ops watch the carriers' notifications, as they watch the payment providers'.
        "ops": ["logistics.view_carriernotification", "logistics.replay_carriernotification"],
        "admin": VIEW + SETTINGS + ["logistics.ship_shipment", "logistics.add_returnrequest",
                                    "logistics.handle_returnrequest", "logistics.close_returnrequest",
                                    "logistics.view_carriernotification", "logistics.replay_carriernotification"],
    })


class Migration(migrations.Migration):
    dependencies = [("logistics", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(setup, migrations.RunPython.noop)]
