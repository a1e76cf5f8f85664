"""Status badges: the one map from a status code to its tone, and the badge's markup, used by
`templates/partials/badge.html` and by the tables' badge cells (backoffice.tables).

A code means the same thing in every app ("rejected" is bad news for a webhook as for a
payment), so the map is by code. Each tone is a Bootstrap theme colour, drawn as its subtle
background with its emphasis text (`.tone-*` in static/css/app.css): over 7:1, beyond AA's 4.5:1.
"""

from django.utils.html import format_html

NEUTRAL = "secondary"

TONES = {
    # Waiting on someone else (the customer, the provider, a date).
    "new": "info", "awaiting_payment": "info", "pending": "info", "expected": "info", "scheduled": "info",
    "received": "info", "signed": "info", "sent": "info", "requested": "info", "posted": "info",
    "in_transit": "info", "awaiting_pickup": "info",
    # Moving forward through the store's own work.
    "ready_to_ship": "primary", "invoiced": "primary", "shipped": "primary", "authorized": "primary",
    "active": "primary", "transfer_in": "primary", "transfer_out": "primary", "packing": "primary",
    "packed": "primary", "out_for_delivery": "primary", "inspected": "primary",
    # Done, as it should be.
    "paid": "success", "delivered": "success", "approved": "success", "settled": "success",
    "processed": "success", "accepted": "success", "done": "success", "realized": "success",
    "receipt": "success", "sale": "success", "registered": "success", "restock": "success",
    # Someone should look at it.
    "in_dispute": "warning", "partially_refunded": "warning", "refunded": "warning", "returned": "warning",
    "adjustment": "warning", "state_change": "warning", "failed_attempt": "warning", "quality_control": "warning",
    # Went wrong.
    "rejected": "danger", "failed": "danger", "charged_back": "danger", "write_off": "danger", "denied": "danger",
    "refused": "danger", "exception": "danger",
    # Over, with nothing more to do.
    "closed": NEUTRAL, "cancelled": NEUTRAL, "expired": NEUTRAL, "ignored": NEUTRAL, "released": NEUTRAL,
    "consumed": NEUTRAL, "draft": NEUTRAL, "voided": NEUTRAL,
}


def tone(code) -> str:
    """The tone of a status code; neutral for a code the map does not know."""
    return TONES.get(str(code), NEUTRAL)


def badge(label, code="", *, tone_name=""):
    """A badge reading `label`, in the tone of `code` (or the tone named)."""
    return format_html('<span class="badge rounded-pill tone-{}">{}</span>', tone_name or tone(code), label)
