"""Promises kept: the parcels on their way that are late (past the date promised to the customer)
or at risk of being (the carrier reports trouble, nothing moved for days, or due by tomorrow and not
out for delivery), each with its reason, and the daily e-mail of them to the staff who follow them."""

from datetime import timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.dates import day_span
from backoffice.models import TimelineEvent
from backoffice.roles import emails_with_perm
from backoffice.states import record
from backoffice.timeline import timeline_events

from .models import Shipment, TrackingStatus

# Who gets the daily e-mail: whoever may see the parcels, and has an e-mail.
FOLLOWERS_PERMISSION = "logistics.ship_shipment"  # those who ship: staff (and admin)
# The timeline event that marks a parcel as in the day's e-mail (and the day as reported).
REPORTED = "shipment.promise_reported"


class Reason(models.TextChoices):
    """Why a parcel on its way is watched, the most urgent first (a parcel has the first that applies)."""

    LATE = "late", _("past the promised date")
    FAILED_ATTEMPT = "failed_attempt", _("failed delivery attempt")
    AWAITING_PICKUP = "awaiting_pickup", _("awaiting pickup by the customer")
    EXCEPTION = "exception", _("the carrier reports a problem")
    STALE = "stale", _("no tracking movement")
    DUE_SOON = "due_soon", _("due by tomorrow, not out for delivery")


REASONS = dict(Reason.choices)


def reason_label(code: str) -> str:
    return str(REASONS.get(code, code))


timeline_events({
    REPORTED: lambda params: gettext("In the day's e-mail of late and at-risk parcels: %(reason)s.")
    % {"reason": reason_label(params.get("reason", ""))},
})


def stale_days() -> int:
    """Days without a tracking event (or since it shipped, without any) after which a parcel is at risk."""
    return settings.LOGISTICS_STALE_DAYS


def watched():
    """The parcels on their way (shipped, not delivered nor returned) that are late or at risk
    now, each annotated with its `reason` (a Reason), its `urgency` (the reason's rank, 0 the
    most urgent) and `moved_at` (its last tracking event, or when it shipped)."""
    now = timezone.now()
    today = timezone.localdate(now)
    rules = [
        (Reason.LATE, Q(promised_on__lt=today)),
        (Reason.FAILED_ATTEMPT, Q(tracking_status=TrackingStatus.FAILED_ATTEMPT)),
        (Reason.AWAITING_PICKUP, Q(tracking_status=TrackingStatus.AWAITING_PICKUP)),
        (Reason.EXCEPTION, Q(tracking_status=TrackingStatus.EXCEPTION)),
        (Reason.STALE, Q(moved_at__lt=now - timedelta(days=stale_days()))),
        (Reason.DUE_SOON, Q(promised_on__lte=today + timedelta(days=1))
         & ~Q(tracking_status=TrackingStatus.OUT_FOR_DELIVERY)),
    ]
    return (Shipment.objects.filter(status=Shipment.Status.SHIPPED)
            .annotate(moved_at=Coalesce("last_event_at", "shipped_at", "created_at"))
            .filter(reduce(or_, (rule for _reason, rule in rules)))
            .annotate(reason=Case(*(When(rule, then=Value(str(reason))) for reason, rule in rules),
                                  output_field=models.CharField()),
                      urgency=Case(*(When(rule, then=Value(rank)) for rank, (_reason, rule) in enumerate(rules)),
                                   output_field=models.IntegerField())))


def watch_counts() -> dict[str, int]:
    """How many parcels are late, and how many at risk (not late yet), now."""
    return watched().aggregate(late=Count("pk", filter=Q(reason=Reason.LATE)),
                               at_risk=Count("pk", filter=~Q(reason=Reason.LATE)))


def days_late(shipment: Shipment, today) -> int:
    """Days since the date promised for `shipment` (0 when it is not past)."""
    return max((today - shipment.promised_on).days, 0) if shipment.promised_on else 0


def followers() -> list[str]:
    """The e-mails of the users who ship the parcels."""
    return emails_with_perm(FOLLOWERS_PERMISSION)


def promise_report_send() -> dict[str, int]:
    """E-mail the staff who ship the parcels (users with logistics.ship_shipment and an e-mail)
    today's late and at-risk parcels, once a day: each parcel listed keeps it on its timeline, and
    a day whose parcels were reported sends no other e-mail. The counts, and how many were e-mailed
    now (0 when nothing was sent)."""
    today = timezone.localdate()
    with transaction.atomic():
        # Locked in a fixed order: a run at the same time waits here, then finds the day reported.
        shipments = list(watched().select_for_update(of=("self",)).select_related("order", "service__carrier")
                         .order_by("urgency", "promised_on", "pk"))
        counts = {"late": sum(s.reason == Reason.LATE for s in shipments), "emailed": 0}
        counts["at_risk"] = len(shipments) - counts["late"]
        recipients = followers()
        if not shipments or not recipients or TimelineEvent.objects.filter(
                content_type=ContentType.objects.get_for_model(Shipment), object_id__in=[s.pk for s in shipments],
                code=REPORTED, created_at__range=day_span(today, today)).exists():
            return counts
        rows = [{"shipment": s, "reason": reason_label(s.reason), "days_late": days_late(s, today)}
                for s in shipments]
        context = {"today": today, "rows": rows, "late": counts["late"], "at_risk": counts["at_risk"],
                   "link": settings.SITE_URL.rstrip("/") + reverse("logistics:late")}
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("logistics/email/late_subject.txt", context).strip()
            body = render_to_string("logistics/email/late.txt", context)
        EmailMessage(subject=subject, body=body, to=recipients).send()
        for shipment in shipments:
            record(shipment, REPORTED, {"reason": shipment.reason})
        counts["emailed"] = len(recipients)
    return counts
