"""The orders API's document, judged in two steps: its shape (`read`: JSON, the channel the
token may post for, a list of items — nothing the database is needed for), then its fields
(`clean`: IntakeForm and IntakeItemForm, which look up cities and SKUs). Both run when it
arrives, and again when its task processes it."""

import json
import re

from django.utils.translation import gettext as _

from .forms import IntakeForm, IntakeItemForm

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


class Refused(Exception):
    """The document is not an order that can be taken: `errors` by field (JSON paths), and the
    HTTP status that says so."""

    def __init__(self, errors: dict, status: int = 400):
        super().__init__(errors)
        self.errors, self.status = errors, status


def read(body: bytes, *, channels: list[str] | None) -> dict:
    """The document in `body`, posted by a token for `channels` (None: they were checked when it
    arrived), if it has an order's shape."""
    try:
        document = json.loads(body.decode("utf-8") or "null")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused({"body": [_("The body is not valid JSON.")]}) from None
    unstorable = _unstorable(document)
    if unstorable:
        raise Refused({"body": [unstorable]})
    if (channels is not None and isinstance(document, dict) and "channel" in document
            and document["channel"] not in channels):
        raise Refused({"channel": [_("This token may post orders only for: %(channels)s.")
                                   % {"channels": ", ".join(channels)}]}, status=403)
    if not isinstance(document, dict) or not isinstance(document.get("items"), list) or not document["items"]:
        raise Refused({"items": [_("Send an object with a non-empty list “items”.")]})
    if len(document["items"]) > MAX_ITEMS:
        raise Refused({"items": [_("At most %(max)d items per order.") % {"max": MAX_ITEMS}]})
    return document


def clean(document: dict) -> tuple[dict, list[dict]]:
    """The order's fields and its items' as order_receive takes them, or Refused naming each
    bad field."""
    form = IntakeForm(_flatten(document))
    items = [IntakeItemForm({k: str(v) for k, v in item.items() if v is not None} if isinstance(item, dict) else {})
             for item in document["items"]]
    errors = {} if form.is_valid() else _errors(form)
    for index, item in enumerate(items):
        if not item.is_valid():
            errors.update({f"items[{index}].{field}": messages for field, messages in item.errors.items()})
    if errors:
        raise Refused(errors)
    return form.cleaned_data, [item.cleaned_data for item in items]


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
