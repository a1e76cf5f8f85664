"""Demo data for payments: the store's provider accounts in sandbox mode and their fee and
settlement rules; a payment at a provider for each web, phone or counter order the orders
demo had paid (marketplace orders are paid by the marketplace), at the moment the order was
paid, each kept by the provider's sandbox in its own format so refunds work; the receivables
settled into the cash flow the morning each was due, as the settle job does; and the last
months' expenses and marketplace commissions, the next month's scheduled.

Idempotent: when the database already has provider accounts nothing is seeded.
"""

import random
from collections import Counter as Tally
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.utils import timezone

from backoffice.dates import month_after, month_before, period_bounds
from backoffice.demo import demo_seeder, happening, run_history
from backoffice.models import TimelineEvent
from backoffice.money import cents
from orders.models import Channel, Order

from .cashflow import cash_entry_create, receivables_settle
from .models import CashEntry, ProviderAccount, SettlementRule
from .providers import provider, sandbox
from .services import payment_apply

ACCOUNTS = [
    {"provider": "mercadopago", "name": "Loja (sandbox)",
     "credentials": {"access_token": "TEST-4485221908-sandbox", "webhook_secret": "sandbox-webhook-secret"}},
    {"provider": "pagbank", "name": "Loja (sandbox)", "credentials": {"access_token": "sandbox-pagbank-token"}},
    {"provider": "paypal", "name": "Loja (sandbox)", "credentials": {
        "client_id": "AZ-sandbox-client", "client_secret": "EL-sandbox-secret", "webhook_id": "1JE4291016473214C"}},
    {"provider": "manual", "name": "Pix e transferências"},
]
# Each provider's fees and release days (what their public price tables say, roughly).
RULES = [
    ("mercadopago", "credit_card", "4.99", "0.00", 30, 30), ("mercadopago", "pix", "0.99", "0.00", 0, 30),
    ("pagbank", "pix", "0.99", "0.00", 0, 30), ("pagbank", "boleto", "0.00", "3.49", 2, 30),
    ("pagbank", "credit_card", "4.39", "0.40", 30, 30), ("paypal", "paypal", "4.79", "0.60", 14, 30),
]
# Who takes the money of an order placed on the store's own channels.
PROVIDER_WEIGHTS = {"mercadopago": 50, "pagbank": 35, "paypal": 15}
OWN_CHANNELS = [Channel.WEB, Channel.PHONE, Channel.MANUAL]
# The monthly costs of a store of STORE_ORDERS orders in three months: (category, description,
# low, high); a demo of more or fewer orders has its costs in proportion.
STORE_ORDERS = 2000
MONTHLY = [
    (CashEntry.Category.SUPPLIERS, "Compra de mercadorias – fornecedor", 9000, 16000),
    (CashEntry.Category.FREIGHT, "Fatura Correios (contrato)", 1800, 3200),
    (CashEntry.Category.TAXES, "DAS – Simples Nacional", 1500, 2600),
    (CashEntry.Category.PAYROLL, "Folha de pagamento", 7200, 7200),
    (CashEntry.Category.OTHER_EXPENSE, "Aluguel do depósito", 3500, 3500),
    (CashEntry.Category.OTHER_EXPENSE, "Plataforma da loja e ERP", 390, 390),
]
MARKETPLACE_FEE = Decimal("0.14")
ACCOUNTS_OPENED_DAYS_BEFORE = 3
SETTLE_HOUR = 5.5  # the settle job's time (payments.apps: "30 5 * * *")


def _months(today: date, back: int) -> list[date]:
    """The first days of the `back` months before today's, today's month's and the next's."""
    starts = [today.replace(day=1)]
    for _ in range(back):
        starts.insert(0, month_before(starts[0]))
    return starts + [month_after(today)]


def _local(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(), timezone.get_current_timezone()) + timedelta(hours=hour)


def _paid_orders():
    """The paid orders of the store's own channels, with when the orders demo recorded their
    payment, in that order."""
    paid_at = dict(TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order),
                                                code="order.payment").values_list("object_id", "created_at"))
    paid = Order.objects.filter(channel__in=OWN_CHANNELS, paid_amount__gt=0).select_related("customer")
    return sorted(((order, paid_at.get(order.pk, order.placed_at)) for order in paid), key=lambda pair: pair[1])


class _Finance:
    def __init__(self, rnd, accounts, user, *, orders):
        self.rnd, self.accounts, self.user = rnd, accounts, user
        self.scale = Decimal(max(orders, 1)) / STORE_ORDERS
        self.sandboxes = {code: sandbox(code) for code in PROVIDER_WEIGHTS}
        self.counts = Tally()

    def payment(self, order, at):
        """The provider payment of a paid own-channel order, recorded as the sandbox keeps it, at
        the moment the order was paid."""
        rnd = self.rnd
        code = rnd.choices(list(PROVIDER_WEIGHTS), list(PROVIDER_WEIGHTS.values()))[0]
        installments = rnd.choice([1, 1, 2, 3, 3, 4, 6, 10]) if code == "mercadopago" else 1
        yield at
        notification = self.sandboxes[code].pay(self.accounts[code], order=order, amount=order.paid_amount,
                                                installments=installments, at=at)
        payment_id = provider(code).resource_id(query={}, body=notification.body)
        # The orders demo already counted this money on the order.
        payment_apply(account=self.accounts[code], data=self.sandboxes[code].provider_payment(payment_id),
                      credited=True)
        self.counts["payments"] += 1

    def settlements(self, first: date, now: datetime):
        """The settle job of every morning since `first` (as beat runs it), and today's, now."""
        today = timezone.localdate(now)
        day = first
        while day < today:
            yield _local(day, SETTLE_HOUR)
            self.counts["settled"] += receivables_settle(today=day)
            day += timedelta(days=1)
        yield now
        self.counts["settled"] += receivables_settle(today=today)

    def expenses(self, now: datetime):
        """The store's costs of the last months (entered by finance the day they were paid) and
        the next one (scheduled, entered lately), and the marketplaces' commissions on their
        orders of each month gone by (entered on its last day)."""
        rnd, today = self.rnd, timezone.localdate(now)
        for start in _months(today, 2):
            for category, description, low, high in MONTHLY:
                day = start + timedelta(days=rnd.randint(4, 20))
                amount = cents(Decimal(rnd.randint(low * 100, high * 100)) / 100 * self.scale)
                if day <= today:
                    entered = min(_local(day, rnd.uniform(9, 18)), now)
                    yield self._expense(entered, date=day, category=category, description=description,
                                        amount=amount, status=CashEntry.Status.REALIZED)
                else:
                    yield self._expense(now - timedelta(hours=rnd.uniform(1, 48)), date=day, category=category,
                                        description=description, amount=amount, status=CashEntry.Status.SCHEDULED)
            _, last = period_bounds("month", start)
            if last < today:
                yield self._marketplace_fees(start, last)

    def _expense(self, entered, **fields):
        yield entered
        cash_entry_create(user=self.user, **fields)
        self.counts["expenses"] += 1

    def _marketplace_fees(self, start, last):
        yield _local(last, 18)
        sold = (Order.objects.filter(placed_at__date__range=(start, last), paid_amount__gt=0)
                .exclude(channel__in=OWN_CHANNELS).aggregate(total=Sum("paid_amount"))["total"])
        if sold:
            cash_entry_create(user=self.user, date=last, category=CashEntry.Category.MARKETPLACE_FEES,
                              description="Comissões dos marketplaces", amount=cents(sold * MARKETPLACE_FEE))
            self.counts["expenses"] += 1


@demo_seeder(order=30)
def seed_payments(*, faker, orders, log, **kwargs):
    if ProviderAccount.objects.exists():
        log("provider accounts already there: no payments seeded")
        return
    rnd = random.Random(faker.random.getrandbits(64))
    now = timezone.now()
    paid = _paid_orders()
    # The accounts were opened before the first payment they took.
    with happening((paid[0][1] if paid else now) - timedelta(days=ACCOUNTS_OPENED_DAYS_BEFORE)):
        accounts = {fields["provider"]: ProviderAccount.objects.create(**fields) for fields in ACCOUNTS}
        SettlementRule.objects.bulk_create([
            SettlementRule(provider=code, method=method, fee_percent=Decimal(percent), fee_fixed=Decimal(fixed),
                           days_to_first=first, days_between=between)
            for code, method, percent, fixed, first, between in RULES])
    log(f"{len(accounts)} provider accounts in sandbox mode, {len(RULES)} fee and settlement rules")
    finance = _Finance(rnd, accounts, get_user_model().objects.filter(username="finance").first(), orders=orders)
    first = timezone.localdate(paid[0][1]) if paid else timezone.localdate(now)
    run_history([*(finance.payment(order, at) for order, at in paid), finance.settlements(first, now),
                 *finance.expenses(now)])
    c = finance.counts
    log(f"{c['payments']} payments of the store's own orders ({', '.join(PROVIDER_WEIGHTS)})")
    log(f"{c['settled']} receivables settled, each the morning it was due")
    log(f"{c['expenses']} expenses entered by finance (the next month's scheduled)")
