"""Webhooks in, payments recorded, orders credited. Every notification is checked and stored
before anything else (a rejected one in short); processing is idempotent and never lets a
late, older status overwrite a newer one."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.audit import audit_record
from backoffice.integrations.errors import ProviderError
from backoffice.integrations.inbox import Inbox
from backoffice.money import ZERO, cents, format_money
from backoffice.states import record, transition
from orders.models import Order
from orders.services import OrderError, order_confirm_payment, order_record_refund

from .cashflow import payment_money_back
from .models import Payment, PaymentEvent, ProviderAccount, Receivable, Refund, SettlementRule, WebhookEvent
from .providers import ProviderPayment, provider

# The payment providers' notifications: received, kept and queued, failed, caught up and replayed as
# every app's webhook inbox does (backoffice.integrations.inbox).
INBOX = Inbox(WebhookEvent, owner="account", task="payments.tasks.process_webhook",
              settings_prefix="PAYMENTS_WEBHOOK", cache_prefix="payments:webhook-rejected",
              catch_up_name="webhooks_catch_up")


def webhook_receive(*, account: ProviderAccount, headers: dict, query: dict, body: bytes,
                    client: str | None = None) -> WebhookEvent:
    """Check the notification is authentic and readable, keep it and queue it. A rejected one is
    kept short (the first bytes of its body, its size and hash) and WebhookRejected /
    WebhookMalformed raised; past the limit of rejections for the account or the `client`
    address, WebhookThrottled is raised and nothing kept. Authentic ones are never limited:
    they are verified before anything is refused."""
    return INBOX.receive(owner=account, handler=provider(account.provider), headers=headers, query=query, body=body,
                         client=client)


def webhook_process(*, event_id: int) -> WebhookEvent:
    """Fetch what the notification points to and apply it. A failure keeps the event with
    its error (status failed), ready to replay; ProviderError is raised again for a retry."""
    event = WebhookEvent.objects.select_related("account").get(pk=event_id)
    if event.status not in (WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED):
        return event
    try:
        data = provider(event.account.provider).fetch_payment(event.account, event.resource_id)
        payment_apply(account=event.account, data=data, webhook_event=event)
    except ProviderError as exc:
        INBOX.failed(event, str(exc), params={"error": str(exc)})
        raise
    INBOX.processed(event)
    return event


def webhook_stopped_the_worker(*, event_id: int, starts: int) -> None:
    """The poison-task guard's verdict on a notification whose processing never finished: kept
    failed, ready to replay once the cause is fixed (a processed one is left as it is)."""
    INBOX.stopped_the_worker(event_id=event_id, starts=starts)


def webhooks_catch_up(*, limit: int = 500) -> int:
    """Process the notifications left waiting (stored while the broker was down); how many."""
    return INBOX.catch_up(process=lambda pk: webhook_process(event_id=pk), limit=limit)


def webhook_replay(*, event: WebhookEvent, user) -> None:
    """Queue a failed event again (TransitionRefused when it is not failed)."""
    INBOX.replay(event=event, user=user)


# When nothing else is configured (SettlementRule): card installments D+30, D+60, …;
# debit D+1; boleto D+2; Pix, transfer and balance D+0; PayPal D+14.
DEFAULT_DAYS = {"credit_card": (30, 30), "debit_card": (1, 30), "boleto": (2, 30), "pix": (0, 30),
                "transfer": (0, 30), "wallet": (0, 30), "paypal": (14, 30)}


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` cent-exact shares; the leftover cents go to the first ones."""
    cents = int((total * 100).to_integral_value())
    share, left = divmod(cents, parts)
    return [Decimal(share + (1 if i < left else 0)) / 100 for i in range(parts)]


def receivables_schedule(payment: Payment) -> list[Receivable]:
    """The settlements an approved payment will bring: one per card installment, net of the
    provider's fees, dated by the provider's release date or the method's settlement rule."""
    if payment.receivables.exists():
        return list(payment.receivables.all())
    rule = SettlementRule.objects.filter(provider=payment.provider, method=payment.method).first()
    first, between = (rule.days_to_first, rule.days_between) if rule else DEFAULT_DAYS.get(payment.method, (0, 30))
    parts = payment.installments if payment.method == Payment.Method.CREDIT_CARD else 1
    start = timezone.localdate(payment.paid_at) if payment.paid_at else timezone.localdate()
    if parts == 1 and payment.release_date:
        dates = [timezone.localdate(payment.release_date)]
    else:
        dates = [start + timedelta(days=first + between * i) for i in range(parts)]
    return Receivable.objects.bulk_create([
        Receivable(payment=payment, number=i + 1, due_date=due, gross=gross, net=net, fee=gross - net)
        for i, (due, gross, net) in enumerate(zip(dates, _split(payment.gross, parts), _split(payment.net, parts)))
    ])


def _order_for(reference: str):
    reference = reference.strip().lstrip("#")
    return Order.objects.filter(number=int(reference)).first() if reference.isdigit() else None


def provider_fees(provider_code: str, method: str, gross: Decimal) -> Decimal:
    """What the provider keeps of `gross` by its fee rule for the method (0 without one)."""
    rule = SettlementRule.objects.filter(provider=provider_code, method=method).first()
    if rule is None:
        return ZERO
    fee = cents(gross * rule.fee_percent / 100 + rule.fee_fixed)
    return min(fee, gross)


def _order_reference(payment: Payment) -> str:
    """How the order's timeline names the payment."""
    return f"{payment.get_provider_display()} {payment.provider_payment_id}"


def _order_given_back(payment: Payment, *, before: Decimal, reason: str = "", user=None) -> None:
    """Tell the (locked) payment's order of the money given back since the payment's refunded was
    `before`: on the order's timeline, and off what the order received when the payment counted."""
    given = payment.refunded - before
    if payment.order_id and given > 0:
        order_record_refund(order=payment.order, amount=given, reason=reason, reference=_order_reference(payment),
                            counted=payment.credited_to_order, user=user)


def payment_apply(*, account: ProviderAccount, data: ProviderPayment, webhook_event=None,
                  credited: bool = False, recorded_by=None, decided_by=None) -> Payment:
    """Record what the provider says of a payment (once per provider payment id); when it
    is approved, credit its order — once; `credited`: the order already counts this money
    (paid before the payment was recorded here, e.g. history brought in); `recorded_by`: who
    registered it by hand; `decided_by`: who approved or declined it. Fees the provider does
    not state come from its fee rule."""
    if data.net is None:
        data.fees = provider_fees(account.provider, data.method, data.gross)
        data.net = data.gross - data.fees
    fields = {
        "status_detail": data.status_detail, "method": data.method, "brand": data.brand,
        "installments": data.installments, "gross": data.gross, "fees": data.fees, "net": data.net,
        "refunded": data.refunded, "fee_details": data.fee_details, "paid_at": data.paid_at,
        "release_date": data.release_date, "payer_name": data.payer_name, "payer_document": data.payer_document,
        "payer_email": data.payer_email, "external_reference": data.external_reference,
    }
    with transaction.atomic():
        payment, created = Payment.objects.select_for_update().get_or_create(
            provider=account.provider, provider_payment_id=data.provider_payment_id,
            defaults={"account": account, "status": data.status, "order": _order_for(data.external_reference),
                      "credited_to_order": credited, "recorded_by": recorded_by, **fields},
        )
        applied = created or data.status == payment.status or Payment.states.allows(payment.status, data.status)
        if created:
            record(payment, "payment.recorded", {"gross": str(payment.gross)}, actor=recorded_by,
                   to_status=payment.status)
        elif applied:
            # Money given back only grows, whatever a provider's partial view of it says.
            before, fields["refunded"] = payment.refunded, max(payment.refunded, data.refunded)
            for name, value in fields.items():
                setattr(payment, name, value)
            payment.save(update_fields=[*fields, "updated_at"])
            transition(payment, data.status, actor=decided_by)
            _order_given_back(payment, before=before, user=decided_by)  # a refund made at the provider
        PaymentEvent.objects.create(payment=payment, webhook_event=webhook_event, status=data.status,
                                    applied=applied, raw=data.raw)
        if payment.status == Payment.Status.APPROVED:
            receivables_schedule(payment)
        elif payment.status == Payment.Status.CANCELLED:
            # Money that will not come: what was not settled yet is no longer expected.
            for receivable in payment.receivables.select_for_update().filter(status=Receivable.Status.EXPECTED):
                transition(receivable, Receivable.Status.CANCELLED)
        payment_money_back(payment)
        if payment.status == Payment.Status.APPROVED and payment.order_id and not payment.credited_to_order:
            try:
                # Its recorder is the one who put this money on the order (orders.order_override_validation asks).
                order_confirm_payment(order=payment.order, amount=payment.gross, user=payment.recorded_by,
                                      reference=_order_reference(payment))
            except OrderError as exc:
                # The money is real even when the order takes no payment (e.g. cancelled): finance sees it.
                PaymentEvent.objects.create(payment=payment, status=payment.status, applied=False,
                                            raw={"order_refused": str(exc)})
            else:
                Payment.objects.filter(pk=payment.pk).update(credited_to_order=True)
                payment.credited_to_order = True
    return payment


class PaymentError(Exception):
    """A payment operation refused; the message is meant for the user."""


def _refund_check(payment: Payment, amount: Decimal) -> None:
    left = payment.refundable
    if not left:
        raise PaymentError(_("Only an approved payment can be refunded (this one is %(status)s).")
                           % {"status": payment.get_status_display()})
    if not ZERO < amount <= left:
        raise PaymentError(_("The refund must be more than zero and at most %(left)s.") % {"left": format_money(left)})


def payment_refund(*, payment: Payment, amount: Decimal, reason: str, user) -> Refund:
    """Give `amount` back to the payer through the provider (manual payments: already sent
    by hand) and record it. The provider is called outside any transaction (no lock held
    while it answers) and refuses more than what is left; the provider's later notification
    of the refund changes nothing more."""
    payment = Payment.objects.select_related("account").get(pk=payment.pk)
    if payment.recorded_by_id is not None and payment.recorded_by_id == user.pk:
        # Money in typed by hand and out by the same hand would be one person's say alone.
        raise PaymentError(_("You registered this payment: someone else must refund it."))
    _refund_check(payment, amount)
    before = payment.refunded
    try:
        refund_id = provider(payment.provider).refund(payment.account, payment.provider_payment_id, amount)
    except ProviderError as exc:
        raise PaymentError(_("The provider refused the refund: %(error)s") % {"error": exc}) from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.provider == "manual":  # nobody else counts its refunds: they add up, under the lock
            _refund_check(payment, amount)
            refunded = payment.refunded + amount
        else:  # the provider's own notification of this refund may have been applied meanwhile
            refunded = max(payment.refunded, before + amount)
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, provider_refund_id=refund_id,
                                       created_by=user)
        before = payment.refunded
        payment.refunded = min(refunded, payment.gross)
        payment.save(update_fields=["refunded", "updated_at"])
        status = Payment.Status.REFUNDED if payment.refunded >= payment.gross else Payment.Status.PARTIALLY_REFUNDED
        params = {"amount": str(amount), "reason": reason}
        # One event and one audit line per refund: the move it makes, or (a second partial refund, or
        # one the provider's notification already took further) the refund alone.
        if not (Payment.states.allows(payment.status, status)
                and transition(payment, status, actor=user, code="payment.refund", params=params)):
            record(payment, "payment.refund", params, actor=user)
            audit_record(actor=user, action="payment.refund", obj=payment, before={"refunded": str(before)},
                         after={"refunded": str(payment.refunded)}, note=reason)
        PaymentEvent.objects.create(payment=payment, status=payment.status,
                                    raw={"refund": str(amount), "provider_refund_id": refund_id, "reason": reason})
        payment_money_back(payment)
        # What the provider's notification of this refund applied meanwhile is on the order already.
        _order_given_back(payment, before=before, reason=reason, user=user)
    return refund


def _due(order: Order | None) -> Decimal:
    """What the (locked) order still waits for: nothing once it takes no payment, nor without an order."""
    return ZERO if order is None else order.payment_due


def payment_record_manual(*, account: ProviderAccount, order_number: int | None, method: str, amount: Decimal,
                          paid_on, reference: str, payer_name: str, user) -> Payment:
    """Money received outside a provider's API (a Pix, a transfer, a boleto), registered by
    hand: it credits its order and settles on the day it was received, like any approved
    payment. More than its order still waits for (any amount without an order) stays
    pending — no money counts — until someone else approves it (payment_approve)."""
    if not amount.is_finite() or amount <= 0:
        raise PaymentError(_("The payment must be greater than zero."))
    reference = reference.strip()
    paid_at = timezone.make_aware(datetime.combine(paid_on, time(12)))
    with transaction.atomic():
        # Locked, so two people typing the rest of the same order at once cannot both pass as due.
        order = Order.objects.select_for_update().filter(number=order_number).first() if order_number else None
        if Payment.objects.filter(provider=account.provider, provider_payment_id=reference).exists():
            raise PaymentError(_("A payment with this reference was already recorded."))
        data = ProviderPayment(
            provider_payment_id=reference,
            status=Payment.Status.PENDING if amount > _due(order) else Payment.Status.APPROVED,
            status_detail="", method=method, gross=amount, fees=None, net=None, paid_at=paid_at, release_date=paid_at,
            payer_name=payer_name, external_reference=str(order_number or ""),
            raw={"recorded_by": user.get_username()},
        )
        payment = payment_apply(account=account, data=data, recorded_by=user)
        audit_record(actor=user, action="payment.manual", obj=payment,
                     after={"gross": str(amount), "method": method, "status": payment.status})
    return payment


def _awaiting_approval(payment: Payment) -> Payment:
    payment = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
    if not payment.awaiting_approval:
        raise PaymentError(_("This payment is not waiting for approval."))
    return payment


def _decided(payment: Payment, status: str, user) -> ProviderPayment:
    """The stored payment, as payment_apply takes it, now `status` by `user`'s decision."""
    return ProviderPayment(
        provider_payment_id=payment.provider_payment_id, status=status, status_detail=payment.status_detail,
        method=payment.method, gross=payment.gross, fees=payment.fees, net=payment.net, paid_at=payment.paid_at,
        release_date=payment.release_date, payer_name=payment.payer_name, external_reference=payment.external_reference,
        raw={"decided_by": user.get_username()},
    )


def payment_approve(*, payment: Payment, user) -> Payment:
    """Someone other than its recorder allows a payment registered by hand above what its
    order was due: then it counts (the order is credited, its receivable scheduled)."""
    with transaction.atomic():
        payment = _awaiting_approval(payment)
        if payment.recorded_by_id == user.pk:
            raise PaymentError(_("You registered this payment: someone else must approve it."))
        payment.approved_by = user
        payment.save(update_fields=["approved_by", "updated_at"])
        return payment_apply(account=payment.account, data=_decided(payment, Payment.Status.APPROVED, user),
                             decided_by=user)


def payment_decline(*, payment: Payment, user) -> Payment:
    """A payment registered by hand above what its order was due is not allowed: it is kept
    as rejected and no money counts."""
    with transaction.atomic():
        return payment_apply(account=payment.account,
                             data=_decided(_awaiting_approval(payment), Payment.Status.REJECTED, user), decided_by=user)
