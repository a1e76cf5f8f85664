"""The customers' tracking page (no login): the order's number and its buyer's CPF or CNPJ, both
right, show the order's parcels and their tracking, and nothing else; any other pair gets one answer
that tells nothing, whether the order exists or not. Lookups are limited per client address and
per order number, in the cache all web processes share."""


from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from backoffice.http import client_ip
from backoffice.throttle import over_limit
from orders.models import Order
from orders.validators import clean_document

from .models import Shipment, TrackingEvent

# The parcels a customer follows: those handed to the carrier.
TRACKED = (Shipment.Status.SHIPPED, Shipment.Status.DELIVERED, Shipment.Status.RETURNED)
NUMBER_MAX = 2**31 - 1


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    document = forms.CharField(
        label=_("Buyer's CPF or CNPJ"), max_length=20,
        help_text=_("With or without dots, dashes and slashes."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}))

    def clean_number(self) -> int:
        number = self.cleaned_data["number"].strip().lstrip("#").strip()
        if not (number.isascii() and number.isdigit()) or not 0 < int(number) <= NUMBER_MAX:
            raise ValidationError(_("Type the order number as it is in the order's e-mail, digits only."),
                                  code="invalid")
        return int(number)

    def clean_document(self) -> str:
        _kind, document = clean_document(self.cleaned_data["document"])
        return document


def _lookup_counted(*, address: str | None, number: int) -> int:
    """Count one more lookup from `address` and of order `number`, per window: the seconds until
    the window ends when either is past its limit, else 0 (uncounted when the cache fails: each
    lookup still needs the whole pair)."""
    return over_limit([(f"logistics:track:address:{address}", settings.LOGISTICS_TRACK_PER_ADDRESS),
                       (f"logistics:track:order:{number}", settings.LOGISTICS_TRACK_PER_ORDER)],
                      window=settings.LOGISTICS_TRACK_WINDOW_SECONDS, what="tracking lookups")


def _order_of(number: int, document: str) -> Order | None:
    """The order `number` when its customer's document is `document`: one query, the same one
    whether the order exists or not."""
    return (Order.objects.filter(number=number, customer__document=document).select_related("customer")
            .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.filter(status__in=TRACKED)
                                       .select_related("service__carrier").order_by("shipped_at", "pk")),
                              Prefetch("shipments__tracking_events",
                                       queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk")))
            .first())


def _answer(request, context: dict, *, status: int = 200):
    response = render(request, "logistics/track.html", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    """The form; posted with the right pair, the order's parcels: carrier and service, tracking
    code and the carrier's link, promised date and events (when, what, where), and the buyer's
    first name. Posted, so that the document stays out of addresses and logs."""
    form = TrackForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _answer(request, {"form": form})
    number, document = form.cleaned_data["number"], form.cleaned_data["document"]
    if wait := _lookup_counted(address=client_ip(request), number=number):
        response = _answer(request, {"state": "throttled", "minutes": -(-wait // 60)}, status=429)
        response["Retry-After"] = str(wait)
        return response
    order = _order_of(number, document)
    if order is None:
        return _answer(request, {"form": TrackForm(initial={"number": number}), "state": "not_found"})
    return _answer(request, {"state": "found", "order": order, "first_name": (order.customer.name.split() or [""])[0],
                             "shipments": order.shipments.all()})
