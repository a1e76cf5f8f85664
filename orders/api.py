"""The orders JSON API: a web store or an ERP posts an order; the same external id posted
again by the same integration returns the order it created. Authenticated by an API token
(backoffice.api), which says the integration and the channels it may post for. What is posted
is kept (the order inbox) before it is processed: in the request, which answers with the
order, or by a task when the database failed meanwhile — then the answer is a 202 with the
address where the outcome is read."""

from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.api import MAX_BODY, api_error, api_view
from backoffice.http import read_body

from . import intake, services
from .models import OrderInbox


@api_view("POST")
def order_create(request):
    """POST /api/orders/ — 201 with the new order, 200 with the order an earlier post of the
    same external id by the same integration created, 4xx in JSON with the reason (400 with
    the errors of each field), 202 with its inbox entry when a task processes it."""
    body, too_large = read_body(request, MAX_BODY)
    try:
        inbox = services.order_inbox_receive(token=request.api_token, body=body, too_large=too_large)
    except intake.Refused as refused:
        return api_error(refused.status, _("The order was not accepted."), errors=refused.errors)
    inbox, created = services.order_inbox_take(inbox=inbox)
    if inbox.status == OrderInbox.Status.ACCEPTED:
        return JsonResponse({**_order(inbox.order), "created": created}, status=201 if created else 200)
    if inbox.status == OrderInbox.Status.RECEIVED:
        answer = JsonResponse(_entry(inbox), status=202)
        answer["Location"] = _entry(inbox)["url"]
        return answer
    if inbox.status == OrderInbox.Status.REJECTED:
        return api_error(400, _("The order was not accepted."), errors=inbox.errors)
    return api_error(500, _("The order could not be processed; it was kept for the team."), **_entry(inbox))


@api_view("GET")
def inbox_entry(request, pk):
    """GET /api/orders/inbox/<id>/ — what became of a posted order: waiting, its order, or the
    errors. Only tokens of the integration that posted it see it."""
    inbox = (OrderInbox.objects.select_related("order")
             .filter(pk=pk, integration=request.api_token.integration).first())
    if inbox is None:
        return api_error(404, _("This integration posted no such order."))
    return JsonResponse(_entry(inbox))


def _order(order):
    return {"id": order.pk, "number": order.number, "status": order.status, "total": str(order.total),
            "hold_reason": order.hold_reason}


def _entry(inbox):
    entry = {"inbox": inbox.pk, "status": inbox.status, "url": reverse("orders_api:inbox_entry", args=[inbox.pk]),
             "received_at": inbox.received_at.isoformat(),
             "processed_at": inbox.processed_at.isoformat() if inbox.processed_at else None}
    if inbox.order_id:
        entry["order"] = _order(inbox.order)
    if inbox.errors:
        entry["errors"] = inbox.errors
    return entry
