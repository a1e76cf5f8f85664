"""Each order's refunded amount, from the refunds of the payments credited to it so far (the field
is new in orders 0017; payments keeps what was given back)."""

from django.db import migrations
from django.db.models import Sum


def orders_refunded(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Payment = apps.get_model("payments", "Payment")
    given_back = (Payment.objects.filter(order__isnull=False, credited_to_order=True, refunded__gt=0)
                  .values("order").annotate(total=Sum("refunded")).values_list("order", "total"))
    for order_id, total in given_back:
        order = Order.objects.get(pk=order_id)
        order.refunded_amount = min(total, order.paid_amount)
        order.save(update_fields=["refunded_amount"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0013_encrypted_credentials"),
        ("orders", "0017_order_refunded_amount"),
    ]

    operations = [migrations.RunPython(orders_refunded, migrations.RunPython.noop)]
