"""Every change to customers and orders. The order pipeline is a state machine
(`models.TRANSITIONS`): each move locks the order, refuses an illegal move, and writes a
timeline event and an audit row."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import audit_record
from backoffice.money import MAX_AMOUNT, ZERO, cents, format_money
from backoffice.queueing import send_after_commit
from inventory.services import InventoryError, ReservationLine, stock_consume, stock_release, stock_reserve

from .models import (
    TAKES_PAYMENT,
    TRANSITIONS,
    Address,
    City,
    Counter,
    Customer,
    Order,
    OrderEvent,
    OrderItem,
    Status,
    SurveyAnswer,
    Tag,
)
from .survey import SURVEYED, survey_token
from .validators import cep_in_uf, clean_cep, clean_document, document_kind

# The largest amount a MoneyField holds.


class OrderError(Exception):
    """A refused order operation; the message is meant for the user."""


class InvalidTransition(OrderError):
    pass


# Customers -------------------------------------------------------------------

CUSTOMER_FIELDS = ["kind", "name", "document", "state_registration", "email", "phone", "blocked", "notes"]


def customer_save(*, customer: Customer, user) -> Customer:
    """Create or update a customer (validated by its form) and audit the change."""
    with transaction.atomic():
        before = {f: getattr(Customer.objects.get(pk=customer.pk), f) for f in CUSTOMER_FIELDS} if customer.pk else {}
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
        moved_orders = Order.objects.filter(customer=merge).update(customer=keep)
        Address.objects.filter(customer=merge).update(customer=keep, is_default=False)
        merge.merged_into = keep
        merge.save(update_fields=["merged_into", "updated_at"])
        audit_record(actor=user, action="customer.merge", obj=keep,
                     note=_("%(other)s (#%(pk)d) merged in; %(orders)d orders moved.") % {
                         "other": merge.name, "pk": merge.pk, "orders": moved_orders})
    return keep


# Orders ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    product: object  # inventory.Product
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO


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


def _event(order, kind, *, actor=None, from_status="", to_status="", message="") -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status, to_status=to_status, message=message,
    )


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
    lines = []  # (item, gross amount, net amount)
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
    discount_total = sum((item.discount for item, _gross, _net in lines), ZERO)
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
                    ship_uf=city.uf, items_total=items_total, discount_total=discount_total, shipping_total=shipping,
                    total=items_total - discount_total + shipping, notes=notes, placed_at=placed_at or timezone.now(),
                )
        except IntegrityError:
            existing = _received(integration, channel, external_id) if external_id else None
            if existing is None:
                raise
            return existing, False
        OrderItem.objects.bulk_create([
            OrderItem(order=order, product=item.product, sku=item.product.sku, name=item.product.name,
                      quantity=item.quantity, unit_price=item.unit_price, discount=item.discount, total=net)
            for item, _gross, net in lines
        ])
        _event(order, OrderEvent.Kind.STATUS, actor=user, to_status=Status.NEW, message=_("Order received."))
        audit_record(actor=user, action="order.create", obj=order, note=f"{channel} {external_id}".strip())
        _reserve(order, user)
    return order, True


def _reserve(order, user):
    """Reserve the order's stock: all lines → awaiting payment; otherwise hold it, saying why."""
    lines = [ReservationLine(str(item.pk), item.product_id, item.quantity) for item in order.items.all()]
    try:
        with transaction.atomic():
            stock_reserve(reference=order.reference, lines=lines)
    except InventoryError as exc:  # not enough stock, or an inactive product
        order.hold_reason = str(exc)
        order.save(update_fields=["hold_reason", "updated_at"])
        _event(order, OrderEvent.Kind.HOLD, actor=user, message=str(exc))
        return
    order.hold_reason = ""
    order.save(update_fields=["hold_reason", "updated_at"])
    _move(order, Status.AWAITING_PAYMENT, actor=user, message=_("Stock reserved."))
    if order.total and order.paid_amount >= order.total:
        # Paid while it waited for stock.
        _move(order, Status.PAID, actor=user)
        _validate(order, user)


def _locked(order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(order, to_status, *, actor=None, message="", kind=OrderEvent.Kind.STATUS):
    """Move a (locked) order to `to_status`, or refuse an illegal move."""
    if to_status not in TRANSITIONS[Status(order.status)]:
        raise InvalidTransition(_("An order that is “%(from)s” cannot become “%(to)s”.") % {
            "from": Status(order.status).label, "to": Status(to_status).label})
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "validation_failures", "hold_reason", "updated_at"])
    _event(order, kind, actor=actor, from_status=from_status, to_status=to_status, message=message)
    audit_record(actor=actor, action=f"order.{to_status}", obj=order, before={"status": from_status},
                 after={"status": to_status}, note=message)
    return order


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
        _event(order, OrderEvent.Kind.PAYMENT, actor=user, message=_("Payment of %(amount)s %(reference)s") % {
            "amount": format_money(amount), "reference": reference})
        if order.status == Status.AWAITING_PAYMENT and order.paid_amount >= order.total:
            _move(order, Status.PAID, actor=user, message=reference)
            _validate(order, user)
    return order


def validation_failures(order: Order) -> list[str]:
    """The checks a paid order must pass before it is released for shipping."""
    failures = []
    customer = order.customer
    try:
        clean_document(customer.document, customer.kind)
    except ValidationError as exc:
        failures.append(_("Customer document: %(error)s") % {"error": exc.messages[0]})
    required = [order.ship_recipient, order.ship_street, order.ship_number, order.ship_district, order.ship_city_code]
    if not all(value.strip() for value in required):
        failures.append(_("The shipping address is incomplete."))
    try:
        cep = clean_cep(order.ship_cep)
        if not cep_in_uf(cep, order.ship_uf):
            failures.append(_("The CEP %(cep)s is not in %(uf)s.") % {"cep": cep, "uf": order.ship_uf})
    except ValidationError as exc:
        failures.append(exc.messages[0])
    if not City.objects.filter(code=order.ship_city_code, uf=order.ship_uf).exists():
        failures.append(_("The city (IBGE %(code)s) is not in %(uf)s.")
                        % {"code": order.ship_city_code, "uf": order.ship_uf})
    if order.paid_amount != order.total:
        failures.append(_("Paid %(paid)s, but the order totals %(total)s.") % {
            "paid": format_money(order.paid_amount), "total": format_money(order.total)})
    if customer.blocked:
        failures.append(_("The customer is blocked."))
    return failures


def _validate(order, user):
    failures = validation_failures(order)
    if failures:
        order.validation_failures = failures
        order.save(update_fields=["validation_failures", "updated_at"])
        _event(order, OrderEvent.Kind.VALIDATION, actor=user, message="; ".join(failures))
        return
    order.validation_failures = []
    _move(order, Status.READY_TO_SHIP, actor=user, message=_("All checks passed."))


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
        if user is not None and order.events.filter(kind=OrderEvent.Kind.PAYMENT, actor=user).exists():
            raise OrderError(_("You registered a payment of this order: someone else must release it."))
        failed = "; ".join(order.validation_failures)
        order.validation_failures = []
        _move(order, Status.READY_TO_SHIP, actor=user, kind=OrderEvent.Kind.OVERRIDE,
              message=_("%(reason)s (overridden: %(failed)s)") % {"reason": reason, "failed": failed})
    return order


def order_invoice(*, order: Order, user, note: str = "") -> Order:
    with transaction.atomic():
        return _move(_locked(order), Status.INVOICED, actor=user, message=note)


def order_ship(*, order: Order, user, note: str = "") -> Order:
    """The parcel left: the reserved units leave the stock (sale rows in the ledger)."""
    with transaction.atomic():
        order = _move(_locked(order), Status.SHIPPED, actor=user, message=note)
        stock_consume(reference=order.reference, user=user)
    return order


def order_deliver(*, order: Order, user=None, note: str = "") -> Order:
    """The carrier delivered the parcel; the post-sale survey goes out after commit."""
    with transaction.atomic():
        order = _move(_locked(order), Status.DELIVERED, actor=user, message=note)
        send_after_commit("orders.tasks.send_survey", order.pk)
    return order


def order_close(*, order: Order, user, note: str = "") -> Order:
    with transaction.atomic():
        return _move(_locked(order), Status.CLOSED, actor=user, message=note)


def order_cancel(*, order: Order, user, reason: str) -> Order:
    """Cancel an order not yet invoiced; its reserved units become available again."""
    if not (reason or "").strip():
        raise OrderError(_("Say why the order is cancelled."))
    with transaction.atomic():
        order = _move(_locked(order), Status.CANCELLED, actor=user, message=reason.strip())
        stock_release(reference=order.reference)
    return order


def order_return(*, order: Order, user, reason: str) -> Order:
    if not (reason or "").strip():
        raise OrderError(_("Say why the order came back."))
    with transaction.atomic():
        return _move(_locked(order), Status.RETURNED, actor=user, message=reason.strip())


def order_add_note(*, order: Order, user, text: str) -> OrderEvent:
    if not (text or "").strip():
        raise OrderError(_("The note is empty."))
    return _event(order, OrderEvent.Kind.NOTE, actor=user, message=text.strip())


def orders_tag(*, orders: list[Order], name: str, user) -> int:
    """Put a tag on these orders (the tag is created when new)."""
    name = (name or "").strip().lower()[:40]
    if not name:
        raise OrderError(_("Type the tag."))
    with transaction.atomic():
        tag, _created = Tag.objects.get_or_create(name=name)
        tag.orders.add(*orders)
        for order in orders:
            _event(order, OrderEvent.Kind.NOTE, actor=user, message=_("Tagged “%(tag)s”.") % {"tag": name})
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
        customer = (
            Customer.objects.filter(document=data["document"], merged_into__isnull=True).order_by("pk").first()
        )
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
        _event(order, OrderEvent.Kind.NOTE,
               message=_("Satisfaction survey sent to %(email)s.") % {"email": order.customer.email})
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
        _event(order, OrderEvent.Kind.NOTE, message=_("Survey answered: %(score)d.") % {"score": score})
    return answer
