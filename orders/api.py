"""The orders JSON API: a web store or an ERP posts an order; the same external id posted
again by the same integration returns the order it created. Authenticated by an API token
(backoffice.api), which says the integration and the channels it may post for."""

import json
import re

from django.db import transaction
from django.http import JsonResponse
from django.utils.translation import gettext as _

from backoffice.api import MAX_BODY, api_error, api_view
from backoffice.http import read_body

from . import services
from .forms import IntakeForm, IntakeItemForm
from .models import OrderInbox

MAX_ITEMS = 200
# An order is three levels deep ({"items": [{…}]}); json.loads itself gives up (RecursionError)
# somewhere near a thousand.
MAX_DEPTH = 8
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

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


def _unstorable(document) -> str | None:
    """Why the parsed document cannot be processed: nested too deep, or text PostgreSQL
    cannot store (a NUL character, a lone UTF-16 surrogate). Walked without recursion."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return _("The document is nested more than %(max)d levels deep.") % {"max": MAX_DEPTH}
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
            texts = value.keys()
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
            texts = ()
        else:
            texts = (value,) if isinstance(value, str) else ()
        if any(UNSTORABLE.search(text) for text in texts):
            return _("Text cannot hold a NUL character or a lone UTF-16 surrogate.")
    return None


@api_view("POST")
def order_create(request):
    """POST /api/orders/ — 201 with the new order, 200 with the order an earlier post of the
    same external id by the same integration created, 4xx in JSON with the reason (400 with
    the errors of each field)."""
    token = request.api_token
    body, too_large = read_body(request, MAX_BODY)
    # Kept as it came, but as text PostgreSQL can store: bytes that are not UTF-8 and NULs escaped.
    inbox = OrderInbox.objects.create(
        source=f"api:{token.name}", payload=body.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00"),
    )
    if too_large:
        return _reject(inbox, {"body": [_("The body is larger than %(max)d bytes.") % {"max": MAX_BODY}]}, status=413)
    try:
        document = json.loads(body.decode("utf-8") or "null")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _reject(inbox, {"body": [_("The body is not valid JSON.")]})
    unstorable = _unstorable(document)
    if unstorable:
        return _reject(inbox, {"body": [unstorable]})
    if isinstance(document, dict) and "channel" in document and document["channel"] not in token.channels:
        return _reject(inbox, {"channel": [_("This token may post orders only for: %(channels)s.")
                                           % {"channels": ", ".join(token.channels)}]}, status=403)
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
        order, created = services.order_receive(data=form.cleaned_data, items=[i.cleaned_data for i in items],
                                                integration=token.integration)
    except services.OrderError as exc:
        return _reject(inbox, {"order": [str(exc)]})
    OrderInbox.objects.filter(pk=inbox.pk).update(status=OrderInbox.Status.ACCEPTED, order=order)
    return JsonResponse(
        {"id": order.pk, "number": order.number, "status": order.status, "total": str(order.total),
         "hold_reason": order.hold_reason, "created": created},
        status=201 if created else 200,
    )


def _reject(inbox, errors, *, status=400):
    with transaction.atomic():
        OrderInbox.objects.filter(pk=inbox.pk).update(status=OrderInbox.Status.REJECTED, errors=errors)
    return api_error(status, _("The order was not accepted."), errors=errors)
