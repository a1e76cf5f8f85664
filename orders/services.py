"""Every change to customers and orders. The order pipeline is a state machine
(`Order.states`): each move locks the order and goes through backoffice.states, which
refuses an illegal move and writes its timeline event and audit line; what is not a move (a
payment, a hold, a note) is recorded on the timeline as a code and its parameters."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.api import MAX_BODY
from backoffice.audit import audit_record
from backoffice.models import TimelineEvent
from backoffice.money import MAX_AMOUNT, ZERO, cents
from backoffice.queueing import WAITING_TOO_LONG, catch_up, send_after_commit
from backoffice.states import TransitionRefused, record, transition
from backoffice.timeline import render
from inventory.services import InventoryError, ReservationLine, stock_consume, stock_release, stock_reserve

from . import intake, selectors
from .models import (
    TAKES_PAYMENT,
    Address,
    City,
    Counter,
    Customer,
    Order,
    OrderInbox,
    OrderItem,
    Status,
    SurveyAnswer,
    Tag,
)
from .survey import SURVEYED, survey_token
from .validators import cep_in_uf, clean_cep, clean_document, document_kind

logger = logging.getLogger(__name__)


class OrderError(Exception):
    """A refused order operation; the message is meant for the user."""


class InvalidTransition(OrderError):
    pass


class DocumentInUse(OrderError):
    """The CPF/CNPJ is another customer's already (`existing`): one document, one customer."""

    def __init__(self, existing: Customer):
        super().__init__(_("This CPF/CNPJ is already registered to %(name)s.") % {"name": existing.name})
        self.existing = existing


# Customers -------------------------------------------------------------------

CUSTOMER_FIELDS = ["kind", "name", "document", "state_registration", "email", "phone", "blocked", "notes"]


def customer_save(*, customer: Customer, user) -> Customer:
    """Create or update a customer (validated by its form) and audit the change. A CPF/CNPJ
    identifies one customer: a new customer, or a changed document, that another customer
    has is refused (DocumentInUse). Customers that already share one (registered before this
    rule, or merged) keep saving as they are."""
    with transaction.atomic():
        before = {f: getattr(Customer.objects.get(pk=customer.pk), f) for f in CUSTOMER_FIELDS} if customer.pk else {}
        _lock_document(customer.document)  # two saves of one new document at once: the second sees the first
        if existing := selectors.document_holder(customer.document, customer_pk=customer.pk):
            raise DocumentInUse(existing)
        customer.save()
        audit_record(actor=user, action="customer.update" if before else "customer.create", obj=customer,
                     before=before, after={f: getattr(customer, f) for f in CUSTOMER_FIELDS})
    return customer


def address_save(*, address: Address, user) -> Address:
    with transaction.atomic():
        address.save()
        if address.is_default:
            Address.objects.filter(customer=address.customer_id).exclude(pk=address.pk).update(is_default=False)
        audit_record(actor=user, action="customer.address", obj=address.customer, note=str(address))
    return address


def customer_merge(*, keep: Customer, merge: Customer, user) -> Customer:
    """Move `merge`'s orders and addresses to `keep`; `merge` stays, pointing to `keep`."""
    if keep.pk == merge.pk:
        raise OrderError(_("Choose two different customers."))
    with transaction.atomic():
        locked = Customer.objects.select_for_update().in_bulk([keep.pk, merge.pk])
        keep, merge = locked[keep.pk], locked[merge.pk]
        if merge.merged_into_id or keep.merged_into_id:
            raise OrderError(_("A merged customer cannot be merged again."))
        if merge.blocked and not keep.blocked:
            keep.blocked = True  # a block is never lost in a merge
            keep.save(update_fields=["blocked", "updated_at"])
        Order.objects.filter(customer=merge).update(customer=keep)
        Address.objects.filter(customer=merge).update(customer=keep, is_default=False)
        merge.merged_into = keep
        merge.save(update_fields=["merged_into", "updated_at"])
        # The note names who was merged in (data, in no language): the action's label says the rest.
        audit_record(actor=user, action="customer.merge", obj=keep, note=f"{merge.name} (#{merge.pk})")
    return keep


# Orders ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    product: object  # inventory.Product
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO


@dataclass(frozen=True)
class OrderAmounts:
    lines: list[tuple[ItemInput, Decimal, Decimal]]  # (item, gross amount, net of its discount)
    items_total: Decimal
    discount_total: Decimal
    shipping: Decimal
    total: Decimal


def order_amounts(*, items: list[ItemInput], shipping: Decimal = ZERO) -> OrderAmounts:
    """What an order of `items` and `shipping` comes to, line by line: the items, less their
    discounts, plus shipping. OrderError for amounts no order can have."""
    lines = []
    for item in items:
        if item.quantity <= 0 or item.unit_price < 0 or item.discount < 0:
            raise OrderError(_("%(sku)s: quantity, price and discount cannot be negative.") % {"sku": item.product.sku})
        gross = cents(item.unit_price * item.quantity)
        if item.discount > gross:
            raise OrderError(_("%(sku)s: the discount is larger than the item.") % {"sku": item.product.sku})
        lines.append((item, gross, gross - item.discount))
    if shipping < 0:
        raise OrderError(_("Shipping cannot be negative."))
    items_total = sum((gross for _item, gross, _net in lines), ZERO)
    if items_total + shipping > MAX_AMOUNT:
        raise OrderError(_("The order total is too large."))
    discount_total = sum((item.discount for item in items), ZERO)
    return OrderAmounts(lines, items_total, discount_total, shipping, items_total - discount_total + shipping)


# The PostgreSQL sequence of order numbers (migration 0013).
ORDER_NUMBERS = "orders_order_number"


def _next_number() -> int:
    """The next order number: unique and increasing, not gap-free (an intake rolled back
    leaves a gap). PostgreSQL takes it from a sequence, so intakes never wait for each
    other; SQLite runs one writer at a time, so its counter row is taken in turn anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [ORDER_NUMBERS])
            return cursor.fetchone()[0]
    counter, _created = Counter.objects.get_or_create(name="order")
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def _take_intake_turn(*, batch=False):
    """On PostgreSQL intakes run side by side, each holding this lock shared until commit. A
    transaction that takes in many orders (a spreadsheet import, `batch`) holds it alone:
    its stock locks, taken order after order in no common order, could deadlock with
    theirs. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            lock = "pg_advisory_xact_lock" if batch else "pg_advisory_xact_lock_shared"
            # Two-key advisory locks, here and per document: a key space apart from the
            # reservations' one-key locks.
            cursor.execute(f"SELECT {lock}(hashtext('orders.intake'), 0)")


def _received(integration, channel, external_id):
    return Order.objects.filter(integration=integration, channel=channel, external_id=external_id).first()


def order_create(*, customer: Customer, address: Address, items: list[ItemInput], channel: str,
                 external_id: str = "", integration: str = "", shipping: Decimal = ZERO, notes: str = "",
                 placed_at=None, user=None, batch: bool = False) -> tuple[Order, bool]:
    """Receive an order and reserve its stock (or hold it as out of stock).
    Idempotent per (integration, channel, external id): the same order received again is
    returned as it is, with `created` False. `batch`: the caller's transaction takes in
    other orders too."""
    if not items:
        raise OrderError(_("An order needs at least one item."))
    amounts = order_amounts(items=items, shipping=shipping)
    city = address.city
    with transaction.atomic():
        _take_intake_turn(batch=batch)
        existing = _received(integration, channel, external_id) if external_id else None
        if existing:
            return existing, False
        try:
            # In a savepoint: the same order sent twice at once meets the unique constraint
            # here (on PostgreSQL, once the first is committed), and the second returns the first.
            with transaction.atomic():
                order = Order.objects.create(
                    number=_next_number(), channel=channel, external_id=external_id, integration=integration,
                    customer=customer,
                    ship_recipient=address.recipient or customer.name, ship_cep=address.cep,
                    ship_street=address.street, ship_number=address.number, ship_complement=address.complement,
                    ship_district=address.district, ship_city_code=city.code, ship_city_name=city.name,
                    ship_uf=city.uf, items_total=amounts.items_total, discount_total=amounts.discount_total,
                    shipping_total=shipping, total=amounts.total, notes=notes, placed_at=placed_at or timezone.now(),
                )
        except IntegrityError:
            existing = _received(integration, channel, external_id) if external_id else None
            if existing is None:
                raise
            return existing, False
        OrderItem.objects.bulk_create([
            OrderItem(order=order, product=item.product, sku=item.product.sku, name=item.product.name,
                      quantity=item.quantity, unit_price=item.unit_price, discount=item.discount, total=net)
            for item, _gross, net in amounts.lines
        ])
        # One fact under one code: the order's first event and its line in the audit log.
        record(order, "order.received", actor=user, to_status=Status.NEW)
        audit_record(actor=user, action="order.received", obj=order, note=f"{channel} {external_id}".strip())
        _reserve(order, user)
    return order, True


def _reserve(order, user):
    """Reserve the order's stock: all lines → awaiting payment; otherwise hold it, saying why."""
    lines = [ReservationLine(str(item.pk), item.product_id, item.quantity) for item in order.items.all()]
    try:
        with transaction.atomic():
            stock_reserve(reference=order.reference, lines=lines)
    except InventoryError as exc:  # not enough stock, or an inactive product
        order.hold = {"code": exc.code, "params": exc.params}
        order.save(update_fields=["hold", "updated_at"])
        record(order, "order.held", {"reason": order.hold}, actor=user)
        return
    _move(order, Status.AWAITING_PAYMENT, actor=user, changes={"hold": {}})
    if order.total and order.paid_amount >= order.total:
        # Paid while it waited for stock.
        _move(order, Status.PAID, actor=user)
        _validate(order, user)


def _locked(order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(order, to_status, *, actor=None, params=None, changes=None) -> Order:
    """Move a (locked) order to `to_status` through backoffice.states (its event and audit
    line), or refuse with InvalidTransition: a move its machine does not allow, or one
    repeated — which the kit leaves be, but a person repeating a move (a second click, a
    stale page) is told, and what the move does besides (stock, the survey) is not done again."""
    try:
        moved = transition(order, to_status, actor=actor, params=params, changes=changes)
    except TransitionRefused as exc:
        raise InvalidTransition(str(exc)) from exc
    if not moved:
        raise InvalidTransition(_("An order that is “%(from)s” cannot become “%(to)s”.") % {
            "from": Status(order.status).label, "to": Status(to_status).label})
    return order


def _words(text: str) -> dict | None:
    """A move's parameters when someone said something about it (a note, a reason)."""
    return {"text": text} if text else None


def order_retry_reservation(*, order: Order, user) -> Order:
    """Try again to reserve the stock of an order held as out of stock."""
    with transaction.atomic():
        order = _locked(order)
        if order.status != Status.NEW:
            raise OrderError(_("Only a new order waiting for stock can be retried."))
        _reserve(order, user)
    return order


def order_confirm_payment(*, order: Order, amount: Decimal, user=None, reference: str = "") -> Order:
    """A payment for the order arrived (called by the payments app). Once the order is
    paid in full it becomes `paid` and is validated."""
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise OrderError(_("The payment must be greater than zero."))
    with transaction.atomic():
        order = _locked(order)
        if order.status not in TAKES_PAYMENT:
            raise OrderError(_("An order that is “%(status)s” takes no payment.")
                             % {"status": Status(order.status).label})
        if order.paid_amount + amount > MAX_AMOUNT:
            raise OrderError(_("The payment must be greater than zero."))
        order.paid_amount += amount
        order.save(update_fields=["paid_amount", "updated_at"])
        record(order, "order.payment", {"amount": str(cents(amount)), "reference": reference}, actor=user)
        if order.status == Status.AWAITING_PAYMENT and order.paid_amount >= order.total:
            _move(order, Status.PAID, actor=user, params=_words(reference))
            _validate(order, user)
    return order


def order_record_refund(*, order: Order, amount: Decimal, reason: str = "", reference: str = "", counted: bool = True,
                        user=None) -> Order:
    """Money of the order was given back (called by the payments app): it goes on the order's
    timeline and, when the payment counted toward the order (`counted`), off what the order
    received. The order's status stays as it is: a cancellation or a return is its own move."""
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise OrderError(_("The refund must be greater than zero."))
    with transaction.atomic():
        order = _locked(order)
        if counted:
            order.refunded_amount = min(order.refunded_amount + amount, order.paid_amount)
            order.save(update_fields=["refunded_amount", "updated_at"])
        record(order, "order.refund", {"amount": str(cents(amount)), "reason": reason, "reference": reference},
               actor=user)
    return order


def _check(code: str, /, **params) -> dict:
    return {"code": code, "params": params}


def validation_failures(order: Order) -> list[dict]:
    """The checks a paid order must pass before it is released for shipping: those it fails,
    as codes with their parameters (orders.models declares their texts)."""
    failures = []
    customer = order.customer
    try:
        clean_document(customer.document, customer.kind)
    except ValidationError as exc:
        failures.append(_check("order.check.document", error=_check("order.document.invalid", **exc.params)))
    required = [order.ship_recipient, order.ship_street, order.ship_number, order.ship_district, order.ship_city_code]
    if not all(value.strip() for value in required):
        failures.append(_check("order.check.address"))
    try:
        cep = clean_cep(order.ship_cep)
        if not cep_in_uf(cep, order.ship_uf):
            failures.append(_check("order.check.cep_uf", cep=cep, uf=order.ship_uf))
    except ValidationError:
        failures.append(_check("order.check.cep"))
    if not City.objects.filter(code=order.ship_city_code, uf=order.ship_uf).exists():
        failures.append(_check("order.check.city_uf", code=order.ship_city_code, uf=order.ship_uf))
    if order.paid_amount != order.total:
        failures.append(_check("order.check.paid", paid=str(order.paid_amount), total=str(order.total)))
    if customer.blocked:
        failures.append(_check("order.check.blocked"))
    return failures


def _validate(order, user):
    failures = validation_failures(order)
    if failures:
        order.validation_failures = failures
        order.save(update_fields=["validation_failures", "updated_at"])
        record(order, "order.validation_failed", {"failures": failures}, actor=user)
        return
    _move(order, Status.READY_TO_SHIP, actor=user, changes={"validation_failures": []})


def order_validate(*, order: Order, user) -> Order:
    """Run the checks again on a paid order (after staff fixed the data)."""
    with transaction.atomic():
        order = _locked(order)
        if order.status != Status.PAID:
            raise OrderError(_("Only paid orders are validated."))
        _validate(order, user)
    return order


OVERRIDE_REASON_MIN = 15


def order_override_validation(*, order: Order, user, reason: str) -> Order:
    """Release an order from the validation queue despite its failed checks (audited): a
    manager's act, and never of someone who registered a payment of the order, so no one
    alone both puts money on an order and waves its checks through."""
    reason = (reason or "").strip()
    if len(reason) < OVERRIDE_REASON_MIN:
        raise OrderError(_("Say why the checks are overridden, in at least %(count)d characters.")
                         % {"count": OVERRIDE_REASON_MIN})
    with transaction.atomic():
        order = _locked(order)
        if not order.in_validation_queue:
            raise OrderError(_("The order is not in the validation queue."))
        if user is not None and order.events.filter(code="order.payment", actor=user).exists():
            raise OrderError(_("You registered a payment of this order: someone else must release it."))
        # The move's own code ("order.ready_to_ship", in the audit log too), with why and what it overrode.
        _move(order, Status.READY_TO_SHIP, actor=user, params={"reason": reason, "failed": order.validation_failures},
              changes={"validation_failures": []})
    return order


def order_invoice(*, order: Order, user, note: str = "") -> Order:
    with transaction.atomic():
        return _move(_locked(order), Status.INVOICED, actor=user, params=_words(note))


def order_ship(*, order: Order, user, note: str = "") -> Order:
    """The parcel left: the reserved units leave the stock (sale rows in the ledger)."""
    with transaction.atomic():
        order = _move(_locked(order), Status.SHIPPED, actor=user, params=_words(note))
        stock_consume(reference=order.reference, user=user)
    return order


def order_deliver(*, order: Order, user=None, note: str = "", survey: bool = True) -> Order:
    """The carrier delivered the parcel; the post-sale survey goes out after commit, unless
    not `survey` (a delivery of long ago, recorded now: the demo's history)."""
    with transaction.atomic():
        order = _move(_locked(order), Status.DELIVERED, actor=user, params=_words(note))
        if survey:
            send_after_commit("orders.tasks.send_survey", order.pk)
    return order


def order_close(*, order: Order, user, note: str = "") -> Order:
    with transaction.atomic():
        return _move(_locked(order), Status.CLOSED, actor=user, params=_words(note))


def order_cancel(*, order: Order, user, reason: str) -> Order:
    """Cancel an order not yet invoiced; its reserved units become available again."""
    if not (reason or "").strip():
        raise OrderError(_("Say why the order is cancelled."))
    with transaction.atomic():
        order = _move(_locked(order), Status.CANCELLED, actor=user, params=_words(reason.strip()))
        stock_release(reference=order.reference)
    return order


def order_return(*, order: Order, user, reason: str) -> Order:
    if not (reason or "").strip():
        raise OrderError(_("Say why the order came back."))
    with transaction.atomic():
        return _move(_locked(order), Status.RETURNED, actor=user, params=_words(reason.strip()))


def order_add_note(*, order: Order, user, text: str) -> TimelineEvent:
    if not (text or "").strip():
        raise OrderError(_("The note is empty."))
    return record(order, "order.note", {"text": text.strip()}, actor=user)


def orders_tag(*, orders: list[Order], name: str, user) -> int:
    """Put a tag on these orders (the tag is created when new)."""
    name = (name or "").strip().lower()[:40]
    if not name:
        raise OrderError(_("Type the tag."))
    with transaction.atomic():
        tag, _created = Tag.objects.get_or_create(name=name)
        tag.orders.add(*orders)
        for order in orders:
            record(order, "order.tagged", {"tag": name}, actor=user)
        audit_record(actor=user, action="order.tag", obj=tag, note=", ".join(f"#{o.number}" for o in orders))
    return len(orders)


# Orders from outside (JSON API, spreadsheet) ------------------------------------


def _lock_document(document):
    """Intakes of one CPF/CNPJ take turns (until commit), so that two at once cannot both
    register its customer; others run alongside. SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('orders.customer'), hashtext(%s))", [document])


def order_receive(*, data: dict, items: list[dict], integration: str = "", user=None,
                  batch: bool = False) -> tuple[Order, bool]:
    """An order validated by IntakeForm/IntakeItemForm: its customer is found by CPF/CNPJ
    (or registered), its address found or added, then it is created — once per integration
    ("" for spreadsheets), channel and external id."""
    with transaction.atomic():
        # The intake's turn before the document's: the lock order of every intake.
        _take_intake_turn(batch=batch)
        _lock_document(data["document"])
        existing = _received(integration, data["channel"], data["external_id"])
        if existing:
            return existing, False
        customer = selectors.document_holder(data["document"])
        if customer is None:
            customer = customer_save(customer=Customer(
                kind=document_kind(data["document"]), name=data["name"],
                document=data["document"], email=data.get("email") or "", phone=data.get("phone") or "",
                state_registration=data.get("state_registration") or "",
            ), user=user)
        address = Address.objects.filter(
            customer=customer, recipient=data["name"], cep=data["cep"], street=data["street"], number=data["number"],
            complement=data.get("complement") or "", district=data["district"], city=data["city_ibge"],
        ).first()
        if address is None:
            address = address_save(address=Address(
                customer=customer, recipient=data["name"], cep=data["cep"], street=data["street"],
                number=data["number"], complement=data.get("complement") or "", district=data["district"],
                city=data["city_ibge"], is_default=not customer.addresses.exists(),
            ), user=user)
        return order_create(
            customer=customer, address=address, channel=data["channel"], external_id=data["external_id"],
            integration=integration, batch=batch,
            shipping=data.get("shipping") or ZERO, notes=data.get("notes") or "", user=user,
            items=[ItemInput(item["sku"], item["quantity"], item["unit_price"], item.get("discount") or ZERO)
                   for item in items],
        )


# The order inbox (the JSON API) --------------------------------------------------


def order_inbox_receive(*, token, body: bytes, too_large: bool) -> OrderInbox:
    """Keep what the API `token` posted, before anything else, then judge in the request what
    only reads the database: its shape (JSON, the token's channels, the items), then its fields
    (cities, SKUs). One refused is kept rejected with the errors and intake.Refused raised. An
    order the integration already sent ends accepted as a repeat, with that order; any other
    is left received, for its task (queued after commit) to make the order."""
    refusal = document = None
    try:
        if too_large:
            raise intake.Refused({"body": [_("The body is larger than %(max)d bytes.") % {"max": MAX_BODY}]},
                                 status=413)
        document = intake.read(body, channels=token.channels)
    except intake.Refused as refused:
        refusal = refused
    inbox = OrderInbox.objects.create(
        source=f"api:{token.name}", integration=token.integration,
        # Kept as it came, but as text PostgreSQL can store: bytes that are not UTF-8 and NULs escaped.
        payload=body.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00"),
        status=OrderInbox.Status.REJECTED if refusal else OrderInbox.Status.RECEIVED,
        errors=refusal.errors if refusal else {}, processed_at=timezone.now() if refusal else None,
    )
    if refusal:
        raise refusal
    try:
        data, _items = intake.clean(document)
    except intake.Refused as refused:
        _inbox_reject(inbox, refused.errors)
        raise
    existing = _received(inbox.integration, data["channel"], data["external_id"])
    if existing:
        _inbox_accept(inbox, existing, created=False)
    else:
        send_after_commit("orders.tasks.process_inbox", inbox.pk)
    return inbox


def order_inbox_process(*, inbox_id: int) -> tuple[OrderInbox, bool]:
    """Make a received row an order (True when created now, False when it was received before),
    or end it rejected with the errors of its fields, judged again (the catalogue may have
    changed since it arrived). Whatever else goes wrong ends it failed, logged; a database
    briefly away is raised, for the task to retry. Safe to repeat: a processed row is left as
    it is."""
    inbox = OrderInbox.objects.get(pk=inbox_id)
    if inbox.status != OrderInbox.Status.RECEIVED:
        return inbox, False
    try:
        return _inbox_take(inbox)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        # A bug must not leave the row waiting forever: it fails, kept, and logged.
        logger.exception("Order inbox %s failed", inbox_id)
        failed = order_inbox_fail(inbox_id=inbox_id, code="orderinbox.failed", params={"error": type(exc).__name__})
        return failed, False


def _inbox_take(inbox):
    try:
        # The channel was checked when it arrived, against the token that posted it.
        data, items = intake.clean(intake.read(inbox.payload.encode(), channels=None))
        with transaction.atomic():
            order, created = order_receive(data=data, items=items, integration=inbox.integration)
            _inbox_accept(inbox, order, created=created)
        return inbox, created
    except intake.Refused as refused:
        errors = refused.errors
    except OrderError as exc:
        errors = {"order": [str(exc)]}
    _inbox_reject(inbox, errors)
    return inbox, False


def _inbox_accept(inbox, order, *, created):
    transition(inbox, OrderInbox.Status.ACCEPTED, code="orderinbox.accepted" if created else "orderinbox.repeated",
               params={"number": order.number}, changes={"order": order, "processed_at": timezone.now()})


def _inbox_reject(inbox, errors):
    _inbox_end(inbox, OrderInbox.Status.REJECTED, errors, params={"fields": ", ".join(errors)})


def _inbox_end(inbox, status, errors, *, code="", params=None):
    try:
        transition(inbox, status, code=code, params=params, changes={"errors": errors, "processed_at": timezone.now()})
    except TransitionRefused:  # processed meanwhile elsewhere: that verdict stands
        inbox.refresh_from_db()
    return inbox


def order_inbox_fail(*, inbox_id: int, code: str, params: dict) -> OrderInbox:
    """End a received row failed (not the sender's fault), with the reason of the event `code`
    as its error; a processed row is left as it is."""
    inbox = OrderInbox.objects.get(pk=inbox_id)
    if inbox.status != OrderInbox.Status.RECEIVED:
        return inbox
    return _inbox_end(inbox, OrderInbox.Status.FAILED, {"order": [render(code, params)]}, code=code, params=params)


def order_inbox_stopped_the_worker(*, inbox_id: int, starts: int) -> OrderInbox:
    """The poison-task guard's verdict on a row whose processing never finished."""
    return order_inbox_fail(inbox_id=inbox_id, code="orderinbox.poisoned", params={"starts": starts})


def order_inbox_delivery_key(inbox_id: int) -> str:
    """The poison-task guard's count of a row: one, whether its task or the catch-up job runs it."""
    return f"orderinbox:{inbox_id}"


def order_inbox_catch_up(*, limit: int = 500) -> int:
    """Process the rows left waiting (their task never queued, or their request died); how
    many. Each under its task's poison-task guard; one that fails is logged and the next one
    is processed."""
    waiting = OrderInbox.objects.filter(status=OrderInbox.Status.RECEIVED,
                                        received_at__lt=timezone.now() - WAITING_TOO_LONG)
    return catch_up(list(waiting.order_by("received_at", "pk").values_list("pk", flat=True)[:limit]),
                    name="order_inbox_catch_up", key=order_inbox_delivery_key,
                    process=lambda pk: order_inbox_process(inbox_id=pk),
                    poisoned=lambda pk, starts: order_inbox_stopped_the_worker(inbox_id=pk, starts=starts))


# Post-sale survey -------------------------------------------------------------


def survey_send(*, order_id: int) -> bool:
    """E-mail the survey link of a delivered order, once. Returns whether it was sent now."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("customer").get(pk=order_id)
        if (order.survey_sent_at or not order.customer.email or order.status not in SURVEYED
                or SurveyAnswer.objects.filter(order=order).exists()):
            return False
        link = settings.SITE_URL.rstrip("/") + reverse("orders:survey", args=[survey_token(order)])
        context = {"order": order, "link": link}
        send_mail(
            subject=render_to_string("orders/email/survey_subject.txt", context).strip(),
            message=render_to_string("orders/email/survey.txt", context),
            from_email=None, recipient_list=[order.customer.email],
        )
        order.survey_sent_at = timezone.now()
        order.save(update_fields=["survey_sent_at", "updated_at"])
        record(order, "order.survey_sent", {"email": order.customer.email})
    return True


def survey_answer(*, order: Order, score: int, comment: str = "") -> SurveyAnswer:
    """Keep the customer's answer about a delivered order; an order is answered once."""
    if not 0 <= score <= 10:
        raise OrderError(_("Choose a score from 0 to 10."))
    with transaction.atomic():
        order = _locked(order)
        if SurveyAnswer.objects.filter(order=order).exists():
            raise OrderError(_("This survey was already answered. Thank you!"))
        if order.status not in SURVEYED:
            raise OrderError(_("This order was not delivered: there is nothing to answer about yet."))
        answer = SurveyAnswer.objects.create(order=order, score=score, comment=comment.strip()[:2000])
        record(order, "order.survey_answered", {"score": score})
    return answer
