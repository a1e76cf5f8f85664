"""The orders JSON API: a web store or an ERP posts an order; the same external id posted
again returns the order it created. Authenticated by an API token (backoffice.api)."""

import json

from django.db import transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.api import api_error, api_view

from . import services
from .forms import IntakeForm, IntakeItemForm
from .models import OrderInbox

MAX_ITEMS = 200

# Where each IntakeForm field sits in the JSON document.
PATHS = {
    "document": ("customer", "document"), "name": ("customer", "name"), "email": ("customer", "email"),
    "phone": ("customer", "phone"), "state_registration": ("customer", "state_registration"),
    "cep": ("address", "cep"), "street": ("address", "street"), "number": ("address", "number"),
    "complement": ("address", "complement"), "district": ("address", "district"), "city_ibge": ("address", "city_ibge"),
}


def _flatten(document: dict) -> dict:
    flat = {}
    for field in IntakeForm.base_fields:
        section, key = PATHS.get(field, (None, field))
        source = document.get(section) if section else document
        if isinstance(source, dict) and source.get(key) is not None:
            flat[field] = str(source[key])
    return flat


def _errors(form, prefix=""):
    return {prefix + ".".join(PATHS.get(field, (field,))) if field != "__all__" else (prefix or "order"): messages
            for field, messages in form.errors.items()}


@api_view
@require_POST
def order_create(request):
    """POST /api/orders/ — 201 with the new order, 200 with the order an earlier post of the
    same external id created, 400 with the errors of each field."""
    inbox = OrderInbox.objects.create(source=f"api:{request.api_token.name}",
                                      payload=request.body.decode("utf-8", errors="replace"))
    try:
        document = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _reject(inbox, {"body": [_("The body is not valid JSON.")]})
    if not isinstance(document, dict) or not isinstance(document.get("items"), list) or not document["items"]:
        return _reject(inbox, {"items": [_("Send an object with a non-empty list “items”.")]})
    if len(document["items"]) > MAX_ITEMS:
        return _reject(inbox, {"items": [_("At most %(max)d items per order.") % {"max": MAX_ITEMS}]})
    form = IntakeForm(_flatten(document))
    items = [IntakeItemForm({k: str(v) for k, v in item.items() if v is not None} if isinstance(item, dict) else {})
             for item in document["items"]]
    errors = {} if form.is_valid() else _errors(form)
    for index, item in enumerate(items):
        if not item.is_valid():
            errors.update({f"items[{index}].{field}": messages for field, messages in item.errors.items()})
    if errors:
        return _reject(inbox, errors)
    try:
        order, created = services.order_receive(data=form.cleaned_data, items=[i.cleaned_data for i in items])
    except services.OrderError as exc:
        return _reject(inbox, {"order": [str(exc)]})
    OrderInbox.objects.filter(pk=inbox.pk).update(status=OrderInbox.Status.ACCEPTED, order=order)
    return JsonResponse(
        {"id": order.pk, "number": order.number, "status": order.status, "total": str(order.total),
         "hold_reason": order.hold_reason, "created": created},
        status=201 if created else 200,
    )


def _reject(inbox, errors):
    with transaction.atomic():
        OrderInbox.objects.filter(pk=inbox.pk).update(status=OrderInbox.Status.REJECTED, errors=errors)
    return api_error(400, _("The order was not accepted."), errors=errors)
