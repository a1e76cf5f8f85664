"""OrderEvent and the hold reason's text give way to the timeline and `hold` (0014)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0015_order_timeline_codes")]

    operations = [
        migrations.RemoveField(model_name="order", name="hold_reason"),
        migrations.DeleteModel(name="OrderEvent"),
    ]
