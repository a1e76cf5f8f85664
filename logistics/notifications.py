"""The carriers' notifications (their tracking webhooks) in: each checked by its carrier's client and kept
before anything else (a rejected one in short, as every webhook inbox does: backoffice.integrations.inbox),
then read into tracking events recorded on its parcel — each once, so a repeated notification changes
nothing —; one about a parcel we do not have is refused (400, kept as rejected); one that fails to be
read is kept failed with the reason, ready to replay."""

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.integrations.errors import WebhookMalformed
from backoffice.integrations.inbox import Inbox
from backoffice.timeline import timeline_events

from . import providers
from .models import Carrier, CarrierNotification, Shipment, TrackingEvent
from .services import tracking_record

# The carriers' inbox. Its rejected notifications are limited by LOGISTICS_WEBHOOK_REJECTED_LIMIT,
# …_REJECTED_WINDOW_SECONDS and …_REJECTED_BODY_BYTES (the kit's defaults until the settings name them).
INBOX = Inbox(CarrierNotification, owner="carrier", task="logistics.tasks.process_notification",
              settings_prefix="LOGISTICS_WEBHOOK", cache_prefix="logistics:webhook-rejected",
              catch_up_name="carrier_notifications_catch_up")

timeline_events({
    "carriernotification.failed": _("Failed: %(error)s"),
    "carriernotification.poisoned": _("Processing stopped the worker %(starts)d times."),
    "carriernotification.received": _("Queued again to be processed."),
})
audit_actions({"carriernotification.poisoned": _("Carrier notification stopped the worker")})


def carrier_listening(code: str) -> Carrier | None:
    """The active carrier of `code` whose API sends notifications (its client reads them); None for any
    other code."""
    carrier = Carrier.objects.filter(code=code, active=True).exclude(provider="").first()
    if carrier is None or carrier.provider not in providers.CARRIERS:
        return None
    return carrier if providers.provider(carrier.provider).notifies else None


def notification_receive(*, carrier: Carrier, headers: dict, query: dict, body: bytes,
                         client: str | None = None) -> CarrierNotification:
    """Check the carrier's notification is authentic, readable and about a parcel of ours (its id of it),
    keep it and queue it: a rejected one kept short and WebhookRejected / WebhookMalformed raised (one
    about a parcel not ours yet — its label's id not stored yet — is refused, and the carrier sends it
    again until it is taken), WebhookThrottled past the limit of rejections for the carrier or the
    `client` address (nothing kept then), one about something not tracked kept as ignored."""
    return INBOX.receive(owner=carrier, handler=providers.provider(carrier.provider), headers=headers, query=query,
                         body=body, client=client, known=lambda reference: Shipment.objects.filter(
                             service__carrier=carrier, carrier_reference=reference).exists())


def _parcel(carrier: Carrier, reference: str, events) -> Shipment | None:
    """The carrier's parcel a notification is about: the one with its id of it, or the tracking code."""
    codes = {event.tracking_code for event in events if event.tracking_code}
    return (Shipment.objects.filter(service__carrier=carrier)
            .filter(Q(carrier_reference=reference) | Q(tracking_code__in=codes)).order_by("-pk").first())


def notification_process(*, notification_id: int) -> CarrierNotification:
    """Record the events of a received (or replayed) notification on its parcel and mark it processed;
    kept failed, with the reason, when it is about no parcel of ours or cannot be read."""
    notification = CarrierNotification.objects.select_related("carrier").get(pk=notification_id)
    if notification.status not in (CarrierNotification.Status.RECEIVED, CarrierNotification.Status.FAILED):
        return notification
    carrier = notification.carrier
    # Melhor Envio sends a notification again, byte for byte, until it is answered: the first copy's
    # arrival dates what its carrier does not date.
    first = (CarrierNotification.objects.filter(carrier=carrier, body_sha256=notification.body_sha256)
             .order_by("received_at", "pk").values_list("received_at", flat=True).first())
    try:
        events = providers.provider(carrier.provider).notified_events(carrier, body=notification.body.encode(),
                                                                    received_at=first)
    except WebhookMalformed as exc:
        INBOX.failed(notification, str(exc), params={"error": str(exc)})
        return notification
    shipment = _parcel(carrier, notification.resource_id, events)
    if shipment is None:
        codes = ", ".join(sorted({event.tracking_code for event in events if event.tracking_code})) or "—"
        error = gettext("No parcel of %(carrier)s has its reference %(reference)s or tracking code %(codes)s.") % {
            "carrier": carrier, "reference": notification.resource_id, "codes": codes}
        INBOX.failed(notification, error, params={"error": error})
        return notification
    tracking_record(shipment=shipment, events=events, source=TrackingEvent.Source.WEBHOOK)
    INBOX.processed(notification)
    return notification


def notification_stopped_the_worker(*, notification_id: int, starts: int) -> None:
    """The poison-task guard's verdict on a notification whose processing never finished: kept failed,
    ready to replay once the cause is fixed."""
    INBOX.stopped_the_worker(event_id=notification_id, starts=starts)


def notifications_catch_up(*, limit: int = 500) -> int:
    """Process the notifications left waiting (stored while the broker was down); how many."""
    return INBOX.catch_up(process=lambda pk: notification_process(notification_id=pk), limit=limit)


def notification_replay(*, notification: CarrierNotification, user) -> None:
    """Queue a failed notification again (TransitionRefused when it is not failed)."""
    INBOX.replay(event=notification, user=user)
