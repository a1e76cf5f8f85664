"""The freight API: a web store asks, at its checkout, what each carrier's service would charge to take
the cart to a CEP and by when (the same options the order page shows). Authenticated by an API token
(backoffice.api); every refusal in JSON with its reason."""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _

from backoffice.api import MAX_BODY, api_error, api_view
from backoffice.http import read_body
from inventory.models import Product

from .quotes import options_for, parcel_of

MAX_ITEMS, MAX_QUANTITY = 100, 10_000


def _lines(document) -> tuple[str, list, dict]:
    """The CEP and the (product, quantity) lines of a quote's document, and its errors by field."""
    errors = {}
    if not isinstance(document, dict):
        return "", [], {"body": [_("Send an object with “cep” and a non-empty list “items”.")]}
    cep = "".join(char for char in str(document.get("cep") or "") if char.isascii() and char.isdigit())
    if len(cep) != 8:
        errors["cep"] = [_("The CEP has 8 digits.")]
    items = document.get("items")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        errors["items"] = [_("Send between 1 and %(max)d items.") % {"max": MAX_ITEMS}]
        return cep, [], errors
    wanted = []
    for position, item in enumerate(items):
        sku = item.get("sku") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not isinstance(sku, str) or not sku.strip() or type(quantity) is not int \
                or not 0 < quantity <= MAX_QUANTITY:
            errors[f"items[{position}]"] = [_("Each item is an object with its “sku” and a whole “quantity” from 1 "
                                              "to %(max)d.") % {"max": MAX_QUANTITY}]
        else:
            wanted.append((position, sku.strip(), quantity))
    products = {product.sku: product for product in Product.objects.filter(
        sku__in=[sku for _position, sku, _quantity in wanted], active=True)}
    lines = []
    for position, sku, quantity in wanted:
        if sku in products:
            lines.append((products[sku], quantity))
        else:
            errors[f"items[{position}]"] = [_("No active product has the SKU “%(sku)s”.") % {"sku": sku}]
    return cep, lines, errors


@api_view("POST")
def freight_quote(request):
    """POST /api/freight/quote/ {"cep": "01310-100", "items": [{"sku": "CAM-AZ-M", "quantity": 2}]} — 200
    with the options, cheapest first: carrier, service, price, business days, the date promised and the
    weight charged; 400 with the errors of each field."""
    body, too_large = read_body(request, MAX_BODY)
    if too_large:
        return api_error(413, _("The body is too large."))
    try:
        document = json.loads(body.decode("utf-8") or "null")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return api_error(400, _("The body is not valid JSON."))
    cep, lines, errors = _lines(document)
    if errors:
        return api_error(400, _("The quote was not made."), errors=errors)
    options = options_for(cep, parcel_of(lines))
    return JsonResponse({"cep": cep, "options": [{
        "carrier": option.service.carrier.name, "service": option.service.name,
        "service_code": option.service.code, "price": str(option.price), "days": option.days,
        "promised_on": option.promised_on.isoformat(), "billable_weight_kg": str(option.billable_weight_kg),
    } for option in options]})
