"""Demo data for payments: the store's provider accounts in sandbox mode and their fee and
settlement rules; a payment at a provider for each web, phone or counter order the orders
demo had paid (marketplace orders are paid by the marketplace), each kept by the provider's
sandbox in its own format so refunds work; the receivables due by today settled into the
cash flow; and the last months' expenses and marketplace commissions, the next month's
scheduled.

Idempotent: when the database already has provider accounts nothing is seeded.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from backoffice.dates import month_after, month_before, period_bounds
from backoffice.demo import demo_seeder
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
# The store's monthly costs: (category, description, low, high).
MONTHLY = [
    (CashEntry.Category.SUPPLIERS, "Compra de mercadorias – fornecedor", 9000, 16000),
    (CashEntry.Category.FREIGHT, "Fatura Correios (contrato)", 1800, 3200),
    (CashEntry.Category.TAXES, "DAS – Simples Nacional", 1500, 2600),
    (CashEntry.Category.PAYROLL, "Folha de pagamento", 7200, 7200),
    (CashEntry.Category.OTHER_EXPENSE, "Aluguel do depósito", 3500, 3500),
    (CashEntry.Category.OTHER_EXPENSE, "Plataforma da loja e ERP", 390, 390),
]
MARKETPLACE_FEE = Decimal("0.14")


def _months(today: date, back: int) -> list[date]:
    """The first days of the `back` months before today's, today's month's and the next's."""
    starts = [today.replace(day=1)]
    for _ in range(back):
        starts.insert(0, month_before(starts[0]))
    return starts + [month_after(today)]


def _pay_orders(rnd, accounts, log):
    """A provider payment, recorded as the sandbox keeps it, for each paid own-channel order."""
    paid = (Order.objects.filter(channel__in=OWN_CHANNELS, paid_amount__gt=0).select_related("customer")
            .order_by("placed_at"))
    sandboxes = {code: sandbox(code) for code in PROVIDER_WEIGHTS}
    count = 0
    for order in paid.iterator(chunk_size=500):
        code = rnd.choices(list(PROVIDER_WEIGHTS), list(PROVIDER_WEIGHTS.values()))[0]
        installments = rnd.choice([1, 1, 2, 3, 3, 4, 6, 10]) if code == "mercadopago" else 1
        at = order.placed_at + timedelta(minutes=rnd.randint(1, 90))
        notification = sandboxes[code].pay(accounts[code], order=order, amount=order.paid_amount,
                                           installments=installments, at=at)
        payment_id = provider(code).resource_id(query={}, body=notification.body)
        # The orders demo already counted this money on the order.
        payment_apply(account=accounts[code], data=sandboxes[code].provider_payment(payment_id), credited=True)
        count += 1
    log(f"{count} payments of the store's own orders ({', '.join(PROVIDER_WEIGHTS)})")


def _expenses(rnd, today, user, log):
    """The store's costs of the last months (done) and the next one (scheduled), and the
    marketplaces' commissions on their orders of each month gone by."""
    count = 0
    for start in _months(today, 2):
        for category, description, low, high in MONTHLY:
            day = start + timedelta(days=rnd.randint(4, 20))
            status = CashEntry.Status.REALIZED if day <= today else CashEntry.Status.SCHEDULED
            cash_entry_create(user=user, date=day, category=category, description=description, status=status,
                              amount=Decimal(rnd.randint(low * 100, high * 100)) / 100)
            count += 1
        _, last = period_bounds("month", start)
        sold = (Order.objects.filter(placed_at__date__range=(start, last), paid_amount__gt=0)
                .exclude(channel__in=OWN_CHANNELS).aggregate(total=Sum("paid_amount"))["total"])
        if sold and last < today:
            cash_entry_create(user=user, date=last, category=CashEntry.Category.MARKETPLACE_FEES,
                              description="Comissões dos marketplaces", amount=cents(sold * MARKETPLACE_FEE))
            count += 1
    log(f"{count} expenses entered by finance (the next month's scheduled)")


@demo_seeder(order=30)
def seed_payments(*, faker, log, **kwargs):
    if ProviderAccount.objects.exists():
        log("provider accounts already there: no payments seeded")
        return
    rnd = random.Random(faker.random.getrandbits(64))
    accounts = {fields["provider"]: ProviderAccount.objects.create(**fields) for fields in ACCOUNTS}
    SettlementRule.objects.bulk_create([
        SettlementRule(provider=code, method=method, fee_percent=Decimal(percent), fee_fixed=Decimal(fixed),
                       days_to_first=first, days_between=between)
        for code, method, percent, fixed, first, between in RULES])
    log(f"{len(accounts)} provider accounts in sandbox mode, {len(RULES)} fee and settlement rules")
    _pay_orders(rnd, accounts, log)
    today = timezone.localdate()
    log(f"{receivables_settle(today=today)} receivables settled by today")
    _expenses(rnd, today, get_user_model().objects.filter(username="finance").first(), log)
