"""The carriers' notifications: their public webhook endpoint (`webhooks/<carrier code>/`, answered as every
webhook endpoint answers) and, for ops, the inbox of every notification as it arrived, where a failed one
is replayed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.http import redirect_back
from backoffice.integrations.inbox import webhook_answer
from backoffice.roles import require
from backoffice.states import TransitionRefused
from backoffice.tables import Column, Table, table_response

from . import notifications
from .filters import NotificationFilter
from .models import CarrierNotification


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def carrier_webhook(request, carrier):
    """A carrier's notification: authenticated the carrier's way, stored, answered fast, processed by a
    task; the answer says nothing beyond accepted or why not. A GET or HEAD is answered 200 with nothing
    in it: Melhor Envio checks the address this way as the webhook is registered."""
    listening = notifications.carrier_listening(carrier)
    if listening is None:
        raise Http404("no such carrier")
    if request.method != "POST":
        return HttpResponse(status=200)
    return webhook_answer(request, lambda **received: notifications.notification_receive(carrier=listening,
                                                                                         **received))


# The URL walk test checks that this endpoint is reachable without a session and never answers 2xx
# to a request that the carrier did not sign.
carrier_webhook.provider_signed = True


COLUMNS = [
    Column("received_at", gettext_lazy("Received"), sort="received_at", kind="datetime"),
    Column("carrier", gettext_lazy("Carrier"), accessor="carrier.name"),
    Column("resource_id", gettext_lazy("Parcel (carrier's id)"), kind="code"),
    Column("status", gettext_lazy("Status"), display=True, sort="status", kind="badge"),
    Column("error", gettext_lazy("Error")),
    Column("replay", "", accessor=lambda notification: None, kind="template",
           template="logistics/notification_replay.html"),
]


@require("logistics.view_carriernotification")
@require_GET
def notification_list(request):
    """Every notification the carriers sent, as it arrived, the newest first."""
    filterset = NotificationFilter(request.GET, queryset=CarrierNotification.objects.select_related("carrier"))
    table = Table(request, filterset.qs, COLUMNS, default_sort="-received_at", export_columns=COLUMNS[:-1])
    return table_response(request, "logistics/notification_list.html", table, filename="carrier-notifications",
                          filter=filterset)


@require("logistics.replay_carriernotification")
@require_POST
def notification_replay(request, pk):
    notification = get_object_or_404(CarrierNotification, pk=pk)
    if notification.status != CarrierNotification.Status.FAILED:
        messages.error(request, _("Only failed notifications are replayed."))
        return redirect_back(request, "logistics:notification_list")
    try:
        notifications.notification_replay(notification=notification, user=request.user)
    except TransitionRefused as exc:  # processed meanwhile (a retry of its task)
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The notification was queued again."))
    return redirect_back(request, "logistics:notification_list")
