"""The order's timeline, hold reason and failed checks keep codes and their parameters,
rendered in the reader's language (backoffice.states): OrderEvent rows are copied into the
timeline (who, when, from, to, a code per old kind) and the hold reason moves to `hold`.
Text written before codes is kept as written, as the parameter of the code "order.note"."""

from django.db import migrations, models

LEGACY = "order.note"


def events_to_timeline(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        json_object, json_array = "jsonb_build_object", "jsonb_build_array"
    else:
        json_object, json_array = "json_object", "json_array"
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _created = ContentType.objects.get_or_create(app_label="orders", model="order")
    timeline = quote(apps.get_model("backoffice", "TimelineEvent")._meta.db_table)
    events = quote(apps.get_model("orders", "OrderEvent")._meta.db_table)
    text = f"{json_object}('text', e.message)"
    legacy = f"{json_object}('code', '{LEGACY}', 'params', {text})"
    # A move keeps its code ("order.<status>"; the first one is "order.received") with its words
    # (a reason, a note); a hold, a failed validation and a payment their own code; the rest
    # (an override, a note, a tag, a survey) is text under the code of a note.
    schema_editor.execute(f"""
        INSERT INTO {timeline} (content_type_id, object_id, created_at, actor_id, code, params, from_status,
                                to_status)
        SELECT %s, e.order_id, e.created_at, e.actor_id,
               CASE e.kind
                   WHEN 'status' THEN CASE WHEN e.to_status = 'new' AND e.from_status = '' THEN 'order.received'
                                           ELSE 'order.' || e.to_status END
                   WHEN 'hold' THEN 'order.held'
                   WHEN 'validation' THEN 'order.validation_failed'
                   WHEN 'payment' THEN 'order.payment'
                   ELSE '{LEGACY}' END,
               CASE e.kind
                   WHEN 'hold' THEN {json_object}('reason', {legacy})
                   WHEN 'validation' THEN {json_object}('failures', {json_array}({legacy}))
                   ELSE {text} END,
               e.from_status, e.to_status
        FROM {events} e ORDER BY e.id""", [content_type.pk])


def _legacy(text):
    return {"code": LEGACY, "params": {"text": text}}


def reasons_to_codes(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    changed = []
    kept = Order.objects.exclude(hold_reason="", validation_failures=[]).only("hold_reason", "validation_failures")
    for order in kept.order_by("pk").iterator(chunk_size=2000):
        order.hold = _legacy(order.hold_reason) if order.hold_reason else {}
        order.validation_failures = [_legacy(text) if isinstance(text, str) else text
                                     for text in order.validation_failures]
        changed.append(order)
    Order.objects.bulk_update(changed, ["hold", "validation_failures"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0014_inbox_processed_by_task"),
        ("backoffice", "0009_timeline_event"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="hold",
            field=models.JSONField(blank=True, default=dict, verbose_name="on hold because"),
        ),
        migrations.RunPython(events_to_timeline, migrations.RunPython.noop),
        migrations.RunPython(reasons_to_codes, migrations.RunPython.noop),
    ]
