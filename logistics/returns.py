"""Reverse logistics: a return asked for (by staff, or by the customer within the CDC's 7 days of
receipt, or for a defect within 90 days), approved with a reverse-shipping code or refused, received
at a warehouse, each item inspected — back to stock, to quality control, or written off, through the
inventory ledger's return movement —, then closed by finance: the return NF-e (when the order was
invoiced) and the refund through the payments service. The order is returned when everything came
back. Every move goes through backoffice.states."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.money import ZERO, cents, format_money
from backoffice.states import TransitionRefused, record, transition
from fiscal.services import FiscalError, return_invoice
from inventory.models import State
from inventory.services import stock_return, stock_write_off
from orders.models import Order, Status
from orders.services import order_return
from payments.services import PaymentError, payment_refund

from .models import ReturnItem, ReturnRequest, Shipment
from .selectors import order_invoice_of

# What a customer may ask for on their own, counted from the delivery: the withdrawal of the CDC
# (art. 49: 7 days from receipt), and a defect (art. 26 II: 90 days for durable goods).
WITHDRAWAL_DAYS, DEFECT_DAYS = 7, 90
RETURNABLE = (Status.SHIPPED, Status.DELIVERED, Status.CLOSED)
# The requests whose units are on their way back or came back already.
COUNTED = (ReturnRequest.Status.REQUESTED, ReturnRequest.Status.APPROVED, ReturnRequest.Status.RECEIVED,
           ReturnRequest.Status.INSPECTED, ReturnRequest.Status.CLOSED)
REVERSE_CODE = "LR{pk:09d}BR"
# Inspection's outcome: the state the units come back to (a write-off comes back damaged, then leaves).
OUTCOME_STATE = {ReturnItem.Outcome.RESTOCK: State.SELLABLE, ReturnItem.Outcome.QUALITY_CONTROL: State.QUALITY_CONTROL,
                 ReturnItem.Outcome.WRITE_OFF: State.DAMAGED}


class ReturnError(Exception):
    """What the user asked for cannot be done; the message says why, in the user's language."""


def delivered_at(order: Order):
    """When the order's last parcel was delivered (None: not delivered yet)."""
    return order.shipments.filter(status=Shipment.Status.DELIVERED).order_by("-delivered_at").values_list(
        "delivered_at", flat=True).first()


def returnable_quantities(order: Order) -> dict[int, int]:
    """Units of each of `order`'s items (by id) that may still be asked back: sold, less those in
    other returns not refused."""
    asked = dict(ReturnItem.objects.filter(request__order=order, request__status__in=COUNTED)
                 .values_list("order_item").annotate(total=Sum("quantity")))
    return {item.pk: item.quantity - asked.get(item.pk, 0) for item in order.items.all()}


def return_request(*, order: Order, quantities: dict, reason: str, details: str = "", user=None,
                   by_customer: bool = False) -> ReturnRequest:
    """A return of `quantities` (units by OrderItem or its id; zeros left out) of `order`, for `reason`.
    A customer's own request must come within WITHDRAWAL_DAYS of the delivery (DEFECT_DAYS for a
    defect or damage)."""
    if reason not in ReturnRequest.Reason.values:
        raise ReturnError(_("Choose why the goods come back."))
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in RETURNABLE:
            raise ReturnError(_("Order %(order)s is “%(status)s”: only orders that left can come back.")
                              % {"order": order, "status": order.get_status_display()})
        if by_customer:
            _check_deadline(order, reason)
        left = returnable_quantities(order)
        wanted = {}
        for item, quantity in quantities.items():
            pk = getattr(item, "pk", item)
            if pk not in left:
                raise ReturnError(_("That item is not on order %(order)s.") % {"order": order})
            if not isinstance(quantity, int) or quantity < 0:
                raise ReturnError(_("Type how many units come back, zero or more."))
            if quantity > left[pk]:
                raise ReturnError(_("Only %(left)d of that item can still come back.") % {"left": left[pk]})
            if quantity:
                wanted[pk] = quantity
        if not wanted:
            raise ReturnError(_("Say how many units of each item come back."))
        request = ReturnRequest.objects.create(order=order, reason=reason, details=details.strip(),
                                               by_customer=by_customer, created_by=user)
        ReturnItem.objects.bulk_create([ReturnItem(request=request, order_item_id=pk, quantity=quantity)
                                        for pk, quantity in wanted.items()])
        record(request, "returnrequest.requested", {"reason": reason}, actor=user,
               to_status=ReturnRequest.Status.REQUESTED)
    return request


def _check_deadline(order: Order, reason: str) -> None:
    received = delivered_at(order)
    if received is None:
        raise ReturnError(_("The order has not been delivered yet: it can be returned once it arrives."))
    days = DEFECT_DAYS if reason in (ReturnRequest.Reason.DEFECT, ReturnRequest.Reason.DAMAGED) else WITHDRAWAL_DAYS
    if timezone.now() > received + timedelta(days=days):
        raise ReturnError(_("The %(days)d days to ask for this return ended on %(day)s: please talk to us.") % {
            "days": days, "day": timezone.localtime(received + timedelta(days=days)).strftime("%d/%m/%Y")})


def _locked(request: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().select_related("order").get(pk=request.pk)


def return_approve(*, request: ReturnRequest, user, service=None, reverse_code: str = "") -> ReturnRequest:
    """Approve the return: the customer posts the goods with `reverse_code` (the carrier's reverse
    authorization, typed from its system) or ours."""
    with transaction.atomic():
        request = _locked(request)
        code = "".join((reverse_code or "").split()).upper() or REVERSE_CODE.format(pk=request.pk)
        transition(request, ReturnRequest.Status.APPROVED, actor=user, params={"code": code},
                   changes={"reverse_code": code, "reverse_service": service})
    return request


def return_refuse(*, request: ReturnRequest, user, reason: str) -> ReturnRequest:
    if not (reason or "").strip():
        raise ReturnError(_("Say why the return is refused."))
    with transaction.atomic():
        request = _locked(request)
        transition(request, ReturnRequest.Status.REFUSED, actor=user, params={"text": reason.strip()})
    return request


def return_receive(*, request: ReturnRequest, user, warehouse) -> ReturnRequest:
    """The goods arrived at `warehouse`."""
    with transaction.atomic():
        request = _locked(request)
        transition(request, ReturnRequest.Status.RECEIVED, actor=user, params={"warehouse": warehouse.name},
                   changes={"warehouse": warehouse})
    return request


def return_inspect(*, request: ReturnRequest, user, outcomes: dict) -> ReturnRequest:
    """Each item's outcome (`outcomes`: ReturnItem or its id → an Outcome, or (outcome, note)): its units
    come back into the warehouse's stock as sellable, into quality control, or damaged and then
    written off — the ledger's return rows, referenced to the return."""
    with transaction.atomic():
        request = _locked(request)
        if request.status != ReturnRequest.Status.RECEIVED:
            raise ReturnError(_("Inspect the goods once they are received."))
        items = {item.pk: item for item in request.items.select_related("order_item__product")}
        decided = {}
        for key, value in outcomes.items():
            outcome, note = value if isinstance(value, tuple) else (value, "")
            pk = getattr(key, "pk", key)
            if pk not in items or outcome not in ReturnItem.Outcome.values:
                raise ReturnError(_("Choose what becomes of each item."))
            decided[pk] = (outcome, note.strip()[:300])
        if set(decided) != set(items):
            raise ReturnError(_("Choose what becomes of each item."))
        reference = f"return:{request.pk}"
        for pk, (outcome, note) in decided.items():
            item = items[pk]
            item.outcome, item.note = outcome, note
            product = item.order_item.product
            stock_return(product=product, warehouse=request.warehouse, quantity=item.quantity, user=user,
                         reference=reference, reason=note or item.get_outcome_display(),
                         to_state=OUTCOME_STATE[outcome])
            if outcome == ReturnItem.Outcome.WRITE_OFF:
                stock_write_off(product=product, warehouse=request.warehouse, quantity=item.quantity, user=user,
                                reason=note or _("Returned unsellable (return %(number)s)") % {"number": request.pk})
            item.save(update_fields=["outcome", "note"])
        summary = ", ".join(f"{item.quantity} × {item.order_item.sku}: {item.get_outcome_display()}"
                            for item in items.values())
        transition(request, ReturnRequest.Status.INSPECTED, actor=user, params={"outcomes": summary})
    return request


def return_value(request: ReturnRequest) -> Decimal:
    """What the returned units were paid for: each item's total in proportion to the units back."""
    total = ZERO
    for item in request.items.select_related("order_item"):
        line = item.order_item
        total += cents(line.total * item.quantity / line.quantity)
    return total


def return_close(*, request: ReturnRequest, user, refund: Decimal) -> ReturnRequest:
    """Finance closes an inspected return: the return NF-e of its units against the order's authorized
    NF-e (once: a second try after a failure reuses it), `refund` given back through the order's
    payments (payments.services.payment_refund, whose separation of duties holds), and the order
    returned when every unit came back. ReturnError when the NF-e or the refund is refused; what was
    done before stays done."""
    request = ReturnRequest.objects.select_related("order").get(pk=request.pk)
    if request.status != ReturnRequest.Status.INSPECTED:
        raise ReturnError(_("Close a return once its goods are inspected."))
    if refund < 0 or refund > return_value(request) + request.order.shipping_total:
        raise ReturnError(_("The refund must be between zero and %(most)s.") % {
            "most": format_money(return_value(request) + request.order.shipping_total)})
    order = request.order
    original = order_invoice_of(order)
    if original is not None and request.return_invoice_id is None:
        sold = {item.order_item_id: item for item in original.items.all()}
        quantities = {sold[item.order_item_id]: item.quantity for item in request.items.all()
                      if item.order_item_id in sold}
        try:
            invoice = return_invoice(original=original, quantities=quantities, user=user,
                                     reason=_("return %(number)s") % {"number": request.pk})
        except FiscalError as exc:
            raise ReturnError(_("The return NF-e was refused: %(error)s") % {"error": exc}) from exc
        ReturnRequest.objects.filter(pk=request.pk).update(return_invoice=invoice)
    left = refund - request.refunded
    for payment in order.payments.order_by("pk"):
        amount = min(left, payment.refundable)
        if amount <= 0:
            continue
        try:
            payment_refund(payment=payment, amount=amount, reason=_("Return %(number)s") % {"number": request.pk},
                           user=user)
        except PaymentError as exc:
            raise ReturnError(str(exc)) from exc
        left -= amount
        ReturnRequest.objects.filter(pk=request.pk).update(refunded=refund - left)
    if left > 0:
        raise ReturnError(_("The order's payments can give back only %(done)s of %(refund)s.") % {
            "done": format_money(refund - left), "refund": format_money(refund)})
    with transaction.atomic():
        request = _locked(request)
        transition(request, ReturnRequest.Status.CLOSED, actor=user, params={"refunded": str(refund)})
        if not any(returnable_quantities(order).values()):
            try:
                order_return(order=order, user=user, reason=_("Everything came back (return %(number)s).") % {
                    "number": request.pk})
            except TransitionRefused:  # closed before it came back: it stays closed
                pass
    return request
