"""The customers' tracking page (no login): the order's number and its buyer's CPF or CNPJ, both
right, show the order's parcels and their tracking, its returns, and — once delivered — the way to ask
for one (the CDC's 7 days, 90 for a defect), and nothing else; any other pair gets one answer that
tells nothing, whether the order exists or not. Lookups are limited per client address and per order
number, in the cache all web processes share. The return form carries the order signed for a while
(RETURN_TOKEN_SECONDS): the pair is not asked again, nor is the order named by anything forgeable."""


from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from backoffice.http import client_ip
from backoffice.throttle import over_limit
from orders.models import Order
from orders.validators import clean_document

from . import returns
from .models import ReturnRequest, Shipment, TrackingEvent

# The parcels a customer follows: those handed to the carrier.
TRACKED = (Shipment.Status.SHIPPED, Shipment.Status.DELIVERED, Shipment.Status.RETURNED)
NUMBER_MAX = 2**31 - 1
RETURN_SALT, RETURN_TOKEN_SECONDS = "logistics.track.return", 30 * 60
# What a customer may say of the goods they send back.
CUSTOMER_REASONS = [(reason.value, reason.label) for reason in ReturnRequest.Reason if reason != "other"]


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


class ReturnAskForm(forms.Form):
    """A customer's return: how many units of each item still returnable, why, and what happened."""

    token = forms.CharField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Why are you sending it back?"), choices=CUSTOMER_REASONS,
                               widget=forms.RadioSelect)
    details = forms.CharField(label=_("Tell us more (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, order):
        super().__init__(data, initial={"token": signing.dumps(order.pk, salt=RETURN_SALT)})
        left = returns.returnable_quantities(order)
        self.items = [item for item in order.items.all() if left.get(item.pk)]
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.TypedChoiceField(
                label=item.name, coerce=int, initial=0, choices=[(n, n) for n in range(left[item.pk] + 1)])

    def quantities(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data[f"item_{item.pk}"] for item in self.items}


def _order_of(number: int, document: str) -> Order | None:
    """The order `number` when its customer's document is `document`: one query, the same one
    whether the order exists or not."""
    return _tracked(Order.objects.filter(number=number, customer__document=document)).first()


def _tracked(orders):
    """`orders` with what the page shows of them: their customer, parcels and tracking events."""
    return (orders.select_related("customer")
            .prefetch_related(Prefetch("shipments", queryset=Shipment.objects.filter(status__in=TRACKED)
                                       .select_related("service__carrier").order_by("shipped_at", "pk")),
                              Prefetch("shipments__tracking_events",
                                       queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"))))


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
    return _found(request, order)


def _found(request, order, *, return_form=None, status=200, asked=None):
    """The order's page: its parcels, its returns (`asked`: the one just requested), and the return form
    once it was delivered, while units are left to return."""
    if return_form is None and returns.delivered_at(order) is not None:
        return_form = ReturnAskForm(order=order)
    return _answer(request, {
        "state": "found", "order": order, "first_name": (order.customer.name.split() or [""])[0],
        "shipments": order.shipments.all(), "returns": order.return_requests.order_by("pk"),
        "return_form": return_form if return_form is not None and return_form.items else None,
        "asked": asked}, status=status)


@login_not_required
@never_cache
@require_POST
def track_return(request):
    """A customer's return request from their order's page (its signed order, the units, the reason):
    requested as the customer's own, within the CDC's deadlines; the page again, saying so."""
    try:
        pk = signing.loads(request.POST.get("token", ""), salt=RETURN_SALT, max_age=RETURN_TOKEN_SECONDS)
        order = _tracked(Order.objects.filter(pk=int(pk))).get()
    except (signing.BadSignature, TypeError, ValueError, Order.DoesNotExist):
        return _answer(request, {"form": TrackForm(), "state": "expired"}, status=400)
    form = ReturnAskForm(request.POST, order=order)
    if form.is_valid():
        try:
            asked = returns.return_request(order=order, quantities=form.quantities(), by_customer=True,
                                           reason=form.cleaned_data["reason"], details=form.cleaned_data["details"])
        except returns.ReturnError as exc:
            form.add_error(None, str(exc))
        else:
            return _found(request, order, asked=asked)
    return _found(request, order, return_form=form, status=400)
