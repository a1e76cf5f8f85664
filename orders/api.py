"""The orders JSON API: a web store or an ERP posts an order; the same external id posted
again by the same integration returns the order it created. Authenticated by an API token
(backoffice.api), which says the integration and the channels it may post for. What is posted
is kept (the order inbox) and judged in the request (its shape, then its fields); a task then
makes the order, so the answer is a 202 with the address where the outcome is read."""

from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.api import MAX_BODY, api_error, api_view
from backoffice.http import read_body

from . import intake, services
from .models import OrderInbox


@api_view("POST")
def order_create(request):
    """POST /api/orders/ — 202 with its inbox entry (and its address in `Location`), which a
    task makes the order; 200 with the order an earlier post of the same external id by the
    same integration created; 4xx in JSON with the reason (400 with the errors of each field)."""
    body, too_large = read_body(request, MAX_BODY)
    try:
        inbox = services.order_inbox_receive(token=request.api_token, body=body, too_large=too_large)
    except intake.Refused as refused:
        return api_error(refused.status, _("The order was not accepted."), errors=refused.errors)
    if inbox.status == OrderInbox.Status.ACCEPTED:
        return JsonResponse({**_order(inbox.order), "created": False})
    entry = _entry(inbox)
    answer = JsonResponse(entry, status=202)
    answer["Location"] = entry["url"]
    return answer


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
