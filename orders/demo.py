"""Demo data for orders: customers (people with CPFs, some companies with CNPJs) with real
IBGE cities and CEPs of the right UF, and `orders` orders of the last 90 days from every
channel, moved through the pipeline only by the order services, so the stock they reserve,
ship and release stays in the inventory's books: most old orders delivered or closed, the
newest awaiting payment or ready to ship, some cancelled, returned, held for lack of stock or
waiting in the validation queue, and post-sale survey answers for part of the delivered ones.
Each customer registers before their first order, and each step of each order (paid,
invoiced, shipped, delivered, closed, answered) happens at its own moment, all orders' steps
in time order (backoffice.demo.run_history); a delivery of the past queues no survey e-mail.

Idempotent: when the database already has orders nothing is seeded.
"""

import csv
import random
import unicodedata
from collections import Counter as Tally
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from backoffice.demo import demo_seeder, run_history
from backoffice.money import ZERO, cents
from inventory.models import Product
from inventory.selectors import availability

from .models import Address, Channel, City, Customer, Order, Status, SurveyAnswer
from .providers.viacep.sandbox import keep_store_ceps
from .services import (
    ItemInput,
    address_save,
    customer_save,
    order_cancel,
    order_close,
    order_confirm_payment,
    order_create,
    order_deliver,
    order_invoice,
    order_override_validation,
    order_return,
    order_ship,
    survey_answer,
)
from .validators import CEP_RANGES, cep_in_uf, clean_document

DAYS = 90
IBGE_CSV = Path(__file__).resolve().parent / "data" / "ibge" / "municipios.csv"

# Roughly each UF's share of online sales: the Southeast first, every UF present.
UF_WEIGHTS = {
    "SP": 30, "RJ": 12, "MG": 11, "PR": 6, "RS": 6, "BA": 5, "SC": 4.5, "PE": 3.5, "CE": 3, "GO": 3, "DF": 2.5,
    "ES": 2, "PA": 2, "MA": 1.3, "AM": 1.3, "MT": 1.4, "MS": 1.3, "PB": 1.1, "RN": 1.1, "AL": 0.9, "PI": 0.8,
    "SE": 0.7, "RO": 0.6, "TO": 0.5, "AC": 0.3, "AP": 0.3, "RR": 0.3,
}
# Big cities besides the capitals (matched by name inside the UF; a missing one is skipped).
BIG_CITIES = {
    "SP": ["Campinas", "Guarulhos", "São Bernardo do Campo", "Santo André", "Osasco", "Ribeirão Preto", "Sorocaba",
           "Santos", "São José dos Campos", "Jundiaí", "Piracicaba", "Bauru", "Mogi das Cruzes", "Barueri"],
    "RJ": ["Niterói", "São Gonçalo", "Duque de Caxias", "Nova Iguaçu", "Petrópolis", "Volta Redonda",
           "Campos dos Goytacazes"],
    "MG": ["Uberlândia", "Contagem", "Juiz de Fora", "Betim", "Montes Claros", "Uberaba", "Governador Valadares"],
    "PR": ["Londrina", "Maringá", "Ponta Grossa", "Cascavel", "São José dos Pinhais", "Foz do Iguaçu"],
    "RS": ["Caxias do Sul", "Canoas", "Pelotas", "Santa Maria", "Gravataí", "Novo Hamburgo", "Passo Fundo"],
    "BA": ["Feira de Santana", "Vitória da Conquista", "Camaçari", "Itabuna", "Lauro de Freitas"],
    "SC": ["Joinville", "Blumenau", "São José", "Chapecó", "Itajaí", "Criciúma", "Balneário Camboriú"],
    "PE": ["Jaboatão dos Guararapes", "Olinda", "Caruaru", "Petrolina", "Paulista"],
    "CE": ["Caucaia", "Juazeiro do Norte", "Maracanaú", "Sobral"],
    "GO": ["Aparecida de Goiânia", "Anápolis", "Rio Verde"],
    "ES": ["Vila Velha", "Serra", "Cariacica", "Cachoeiro de Itapemirim"],
    "PA": ["Ananindeua", "Santarém", "Marabá"],
    "MT": ["Várzea Grande", "Rondonópolis", "Sinop"],
    "MS": ["Dourados", "Três Lagoas"],
    "PB": ["Campina Grande"],
    "RN": ["Mossoró", "Parnamirim"],
    "MA": ["Imperatriz"],
    "AM": ["Parintins"],
}
# CEP prefixes (first five digits) of some capitals, inside their UF's range.
CAPITAL_CEPS = {
    "3550308": (1000, 5999), "3304557": (20000, 23799), "3106200": (30000, 31999), "4106902": (80000, 82999),
    "4314902": (90000, 91999), "2927408": (40000, 42499), "4205407": (88000, 88099), "2611606": (50000, 52999),
    "2304400": (60000, 61599), "5208707": (74000, 74899), "3205309": (29000, 29099), "1302603": (69000, 69099),
    "1501402": (66000, 66999), "5300108": (70000, 72799),
}

CHANNEL_WEIGHTS = {
    Channel.WEB: 45, Channel.MERCADOLIVRE: 18, Channel.AMAZON: 10, Channel.SHOPEE: 10, Channel.MAGALU: 7,
    Channel.MANUAL: 5, Channel.PHONE: 5,
}
# Orders typed in by staff have no outside id.
WITHOUT_EXTERNAL_ID = {Channel.MANUAL, Channel.PHONE}
CARRIERS = {
    Channel.MERCADOLIVRE: ["Mercado Envios"], Channel.AMAZON: ["Amazon DBA"], Channel.SHOPEE: ["Shopee Xpress"],
    Channel.MAGALU: ["Magalu Entregas"],
}
OWN_CARRIERS = ["Correios PAC", "Correios SEDEX", "Jadlog", "Loggi", "Total Express"]

STREET_KINDS = ["Rua"] * 14 + ["Avenida"] * 4 + ["Travessa", "Alameda", "Estrada", "Praça"]
STREET_NAMES = [
    "XV de Novembro", "Sete de Setembro", "Tiradentes", "das Flores", "das Palmeiras", "dos Andradas",
    "Duque de Caxias", "Marechal Deodoro", "Santos Dumont", "Rui Barbosa", "Getúlio Vargas", "Dom Pedro II",
    "Princesa Isabel", "São João", "Santa Catarina", "Amazonas", "Brasil", "Independência", "da Liberdade",
    "Castro Alves", "Machado de Assis", "Monteiro Lobato", "Barão do Rio Branco", "José Bonifácio",
]
COMPANY_TRADES = [
    "Papelaria", "Comércio de Roupas", "Distribuidora", "Materiais Escolares", "Presentes", "Informática",
    "Bazar", "Utilidades Domésticas", "Confecções", "Calçados", "Brinquedos", "Cosméticos", "Livraria",
]
COMPANY_SUFFIXES = ["Ltda", "Ltda", "Ltda", "ME", "EPP", "S.A."]
EMAIL_PROVIDERS = ["gmail", "gmail", "gmail", "hotmail", "outlook", "yahoo", "uol", "bol", "terra"]

CANCEL_UNPAID = [
    "Boleto vencido sem pagamento.", "Pagamento não aprovado pela operadora do cartão.",
    "PIX expirado sem pagamento.", "Cliente desistiu antes de pagar.", "Pedido duplicado pelo cliente.",
]
CANCEL_PAID = [
    "Cliente pediu o cancelamento antes do envio; estorno solicitado.",
    "Cliente desistiu da compra (prazo de entrega); estorno solicitado.",
    "Suspeita de fraude apontada pela análise antifraude; estorno feito.",
]
RETURN_REASONS = [
    "Arrependimento (CDC art. 49).", "Produto com defeito.", "Tamanho errado, cliente vai comprar outro.",
    "Produto diferente do anunciado.",
]
BLOCK_NOTES = [
    "Chargeback em compra anterior: bloqueado pelo financeiro.",
    "Vários endereços e cartões diferentes em pouco tempo: conferir antes de enviar.",
]
SURVEY_SCORES = list(range(11))
SURVEY_WEIGHTS = [2, 1, 1, 1.5, 2, 3, 4, 7, 11, 22, 30]  # NPS around +40
SURVEY_COMMENTS = {
    "promoter": [
        "Chegou antes do prazo, recomendo!", "Produto de ótima qualidade, igual ao anúncio.",
        "Entrega rápida e tudo muito bem embalado.", "Segunda compra aqui e sempre tudo certo.",
        "Atendimento excelente, tiraram minhas dúvidas pelo WhatsApp.", "Amei! Já indiquei para a família.",
        "Preço bom e frete grátis, nota 10.",
    ],
    "passive": [
        "Produto bom, mas a entrega atrasou dois dias.", "Tudo certo, só achei o frete um pouco caro.",
        "A embalagem poderia ser melhor.", "Veio conforme o anúncio, nada de especial.",
        "Demorou para atualizar o rastreio.",
    ],
    "detractor": [
        "Demorou mais de dez dias para chegar.", "Produto veio com defeito e ainda aguardo a troca.",
        "O tamanho não corresponde à tabela de medidas.", "Ninguém respondeu meu e-mail.",
        "A caixa chegou amassada e faltou um item.", "Cobraram frete caro e atrasou.",
    ],
}

# The pipeline's end states, newest orders first; `share` of the orders (closed takes the rest).
PROGRESS = [
    (Status.AWAITING_PAYMENT, 0.07), (Status.READY_TO_SHIP, 0.065), (Status.INVOICED, 0.04),
    (Status.SHIPPED, 0.09), (Status.DELIVERED, 0.30), (Status.RETURNED, 0.02), (Status.CLOSED, None),
]
CANCELLED_SHARE, HELD_SHARE, QUEUE_SHARE = 0.09, 0.01, 0.015
OVERRIDE_SHARE = 0.03  # of the orders that get past payment: overpaid, then released by a manager
PARTIAL_SHARE = 0.2  # of the orders awaiting payment: the first of two payments arrived
SURVEY_SHARE = 0.45  # of the delivered and closed orders


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and (c.isalnum() or c == " ")).lower()


def _quota(n, share):
    """`share` of n orders, at least one when there are enough orders for every state."""
    return max(1, round(n * share)) if n >= 20 else round(n * share)


class _Places:
    """Real IBGE cities, weighted towards the big states and cities, with a CEP of their UF."""

    def __init__(self, rnd):
        self.rnd = rnd
        info = {}
        with IBGE_CSV.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                info[row["codigo_ibge"]] = (row["capital"] == "1", row["ddd"])
        self.ddd = {code: ddd for code, (_capital, ddd) in info.items()}
        self.cities, self.capitals, self.big = {}, {}, {}
        for city in City.objects.all():
            self.cities.setdefault(city.uf, []).append(city)
            if info.get(city.code, (False,))[0]:
                self.capitals[city.uf] = city
        for uf, names in BIG_CITIES.items():
            self.big[uf] = [c for c in self.cities.get(uf, []) if c.name in names]
        self.ufs = [uf for uf in UF_WEIGHTS if uf in self.cities]
        self.uf_weights = [UF_WEIGHTS[uf] for uf in self.ufs]
        self.ranges = {}
        for low, high, uf in CEP_RANGES:
            self.ranges.setdefault(uf, []).append((low, high))

    def city(self):
        rnd = self.rnd
        uf = rnd.choices(self.ufs, self.uf_weights)[0]
        draw = rnd.random()
        if draw < 0.4 and uf in self.capitals:
            return self.capitals[uf]
        if draw < 0.7 and self.big.get(uf):
            return rnd.choice(self.big[uf])
        return rnd.choice(self.cities[uf])

    def cep(self, city):
        rnd = self.rnd
        if city.code in CAPITAL_CEPS:
            low, high = CAPITAL_CEPS[city.code]
        else:
            ranges = self.ranges[city.uf]
            low, high = rnd.choices(ranges, [h - lo + 1 for lo, h in ranges])[0]
        prefix = rnd.randint(low, high)
        # Small towns often have one CEP for the whole town (ending in 000).
        suffix = 0 if city.uf not in self.capitals or (city != self.capitals[city.uf] and rnd.random() < 0.4) \
            else rnd.randint(0, 999)
        cep = f"{prefix:05d}{suffix:03d}"
        assert cep_in_uf(cep, city.uf), (cep, city)
        return cep

    def phone(self, city, *, mobile=True):
        ddd = self.ddd.get(city.code) or "11"
        rnd = self.rnd
        if mobile:
            return f"({ddd}) 9{rnd.randint(6000, 9999)}-{rnd.randint(0, 9999):04d}"
        return f"({ddd}) {rnd.choice('2345')}{rnd.randint(100, 999)}-{rnd.randint(0, 9999):04d}"


class _Customer:
    """A customer to register: who (unsaved), where, and when they first came."""

    def __init__(self, customer, city, recipient, second_address):
        self.customer, self.city, self.recipient, self.second_address = customer, city, recipient, second_address
        self.addresses = []  # once registered
        self.first_order = None

    def address(self, index):
        return self.addresses[min(index, len(self.addresses) - 1)]


class _Customers:
    def __init__(self, *, rnd, faker, places, user):
        self.rnd, self.faker, self.places, self.user = rnd, faker, places, user
        self.customers, self.blocked = [], []
        self.counts = Tally()

    def _person_name(self):
        faker = self.faker
        first = faker.first_name()
        last = faker.last_name()
        if self.rnd.random() < 0.45:
            last = f"{faker.last_name()} {last}"
        return f"{first} {last}"

    def _email(self, name, *, company=False):
        rnd = self.rnd
        words = _ascii(name).split()
        if company:
            # An .example domain: the demo never e-mails a real person or company.
            domain = "".join(w for w in words
                             if w not in {"ltda", "me", "epp", "sa", "de", "da", "do", "dos", "das", "e"})
            return f"{rnd.choice(['contato', 'compras', 'financeiro'])}@{domain[:30]}.example"
        first, last = words[0], words[-1]
        local = rnd.choice([f"{first}.{last}", f"{first}{last}", f"{first}_{last}",
                            f"{first}.{last}{rnd.randint(1, 99)}",
                            f"{first}{rnd.randint(1970, 2006)}"])
        return f"{local}@{rnd.choice(EMAIL_PROVIDERS)}.example"

    def _street(self):
        rnd = self.rnd
        name = (rnd.choice(STREET_NAMES) if rnd.random() < 0.35
                else f"{self.faker.first_name()} {self.faker.last_name()}")
        return f"{rnd.choice(STREET_KINDS)} {name}"

    def _complement(self, company):
        rnd = self.rnd
        if rnd.random() > (0.5 if company else 0.35):
            return ""
        if company:
            return rnd.choice([f"Sala {rnd.randint(1, 20)}{rnd.randint(1, 9):02d}", f"Loja {rnd.randint(1, 30)}",
                               "Galpão 2"])
        return rnd.choice([f"Apto {rnd.randint(1, 25)}{rnd.randint(1, 8):02d}",
                           f"Bloco {rnd.choice('ABCD')}, Apto {rnd.randint(11, 184)}",
                           f"Casa {rnd.randint(1, 4)}", "Fundos", f"Casa {rnd.randint(1, 40)} – Condomínio"])

    def _address(self, customer, *, recipient, default, city):
        rnd, faker = self.rnd, self.faker
        number = "S/N" if rnd.random() < 0.02 else str(rnd.choice([rnd.randint(1, 300), rnd.randint(1, 3500)]))
        address = Address(
            customer=customer, recipient=recipient, cep=self.places.cep(city), street=self._street(), number=number,
            complement=self._complement(customer.kind == Customer.Kind.COMPANY), district=faker.bairro(), city=city,
            is_default=default,
        )
        address.full_clean()
        return address_save(address=address, user=self.user)

    def plan(self, count, blocked):
        """The customers the orders will come from (registered by `register`, before their first order)."""
        rnd, faker = self.rnd, self.faker
        for i in range(count):
            company = rnd.random() < 0.1
            city = self.places.city()
            if company:
                last = faker.last_name()
                name = rnd.choice([f"{rnd.choice(COMPANY_TRADES)} {last}",
                                   f"{last} & {faker.last_name()} {rnd.choice(COMPANY_TRADES)}"])
                name = f"{name} {rnd.choice(COMPANY_SUFFIXES)}"
                kind, document = clean_document(faker.cnpj(), Customer.Kind.COMPANY)
                registration = "ISENTO" if rnd.random() < 0.3 else str(rnd.randint(10**8, 10**12 - 1))
                phone = self.places.phone(city, mobile=rnd.random() < 0.4)
            else:
                name = self._person_name()
                kind, document = clean_document(faker.cpf(), Customer.Kind.PERSON)
                registration = ""
                phone = self.places.phone(city) if rnd.random() < 0.9 else ""
            customer = Customer(
                kind=kind, name=name, document=document, state_registration=registration,
                email=self._email(name, company=company) if rnd.random() < 0.95 else "", phone=phone,
                blocked=i < blocked, notes=rnd.choice(BLOCK_NOTES) if i < blocked else "",
            )
            customer.full_clean()
            spec = _Customer(customer, city, self._person_name() if company else name,
                             second_address=rnd.random() < 0.3)  # work, parents' house, a second office
            (self.blocked if customer.blocked else self.customers).append(spec)
            self.counts["company" if company else "person"] += 1
        # A few customers buy often; most once or twice.
        self.weights = [min(rnd.paretovariate(2.0), 6.0) for _ in self.customers]

    def register(self, spec):
        """The customer and their addresses, saved."""
        rnd = self.rnd
        customer = customer_save(customer=spec.customer, user=self.user)
        spec.addresses = [self._address(customer, recipient=spec.recipient, default=True, city=spec.city)]
        if spec.second_address:
            other = self._person_name() if rnd.random() < 0.4 else spec.recipient
            # Mostly the same city (work, a relative nearby), sometimes another one.
            other_city = spec.city if rnd.random() < 0.6 else self.places.city()
            spec.addresses.append(self._address(customer, recipient=other, default=False, city=other_city))
        self.counts["addresses"] += len(spec.addresses)

    def stories(self, start, limit):
        """Each customer registers before their first order (a few never order)."""
        rnd = self.rnd
        for spec in self.customers + self.blocked:
            if spec.first_order is None:
                at = start + (limit - start) * rnd.random()
            else:
                at = max(start - timedelta(days=60), spec.first_order - timedelta(minutes=rnd.randint(5, 60 * 24 * 60)))
            yield self._story(spec, at)

    def _story(self, spec, at):
        yield at
        self.register(spec)

    def pick(self, *, blocked=False):
        """A customer (`blocked`: one of the blocked ones) and which of their addresses."""
        if blocked and self.blocked:
            spec = self.rnd.choice(self.blocked)
        else:
            spec = self.rnd.choices(self.customers, self.weights)[0]
        address = 0 if not spec.second_address or self.rnd.random() < 0.75 else 1
        return spec, address


class _Stock:
    """What each active product has free to sell, kept up to date as orders reserve and
    release it, so that demo orders are (nearly) never held for lack of stock."""

    def __init__(self, rnd):
        self.rnd = rnd
        self.products = list(Product.objects.filter(active=True, variants__isnull=True).order_by("pk"))
        self.free = availability([p.sku for p in self.products])
        # Best sellers and slow movers.
        self.popularity = {p.pk: rnd.lognormvariate(0, 1) for p in self.products}

    def pick(self, count):
        rnd, chosen = self.rnd, []
        for _ in range(count):
            quantity = 1 if rnd.random() < 0.8 else 2
            pool = [p for p in self.products if p not in chosen and self.free[p.sku] >= quantity]
            if not pool:
                break
            product = rnd.choices(pool, [self.popularity[p.pk] for p in pool])[0]
            chosen.append(product)
            yield product, quantity

    def sold_out(self):
        return [p for p in self.products if self.free[p.sku] <= 0]

    def take(self, items, sign=-1):
        for item in items:
            self.free[item.product.sku] += sign * item.quantity


def _between(rnd, low: timedelta, high: timedelta) -> timedelta:
    return low + (high - low) * rnd.random()


# How long after the step before it each step of an order comes: (soonest, latest).
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
GAPS = {
    "pay": (MINUTE, 90 * MINUTE),  # card or Pix; a boleto takes longer (LATE_PAYMENT)
    "release": (HOUR, 20 * HOUR), "invoice": (HOUR, 28 * HOUR), "ship": (2 * HOUR, 30 * HOUR),
    "deliver": (DAY, 9 * DAY), "return": (2 * DAY, 7 * DAY), "close": (7 * DAY, 9 * DAY),
    "cancel": (HOUR, 28 * HOUR), "expire": (2 * HOUR, 3 * DAY), "survey": (3 * HOUR, 6 * DAY),
}
LATE_PAYMENT = (0.25, 2 * HOUR, 60 * HOUR)  # share of payments, soonest, latest
# The steps an order takes to reach its demo status, after it is placed.
ROUTES = {
    Status.AWAITING_PAYMENT: [], "queue": ["pay"], Status.READY_TO_SHIP: ["pay", "release"],
    Status.INVOICED: ["pay", "release", "invoice"], Status.SHIPPED: ["pay", "release", "invoice", "ship"],
    Status.DELIVERED: ["pay", "release", "invoice", "ship", "deliver"],
    Status.RETURNED: ["pay", "release", "invoice", "ship", "deliver", "return"],
    Status.CLOSED: ["pay", "release", "invoice", "ship", "deliver", "close"],
}


class _Orders:
    def __init__(self, *, rnd, faker, customers, stock, staff, manager, log):
        self.rnd, self.faker, self.customers, self.stock = rnd, faker, customers, stock
        self.staff, self.manager, self.log = staff, manager, log
        self.counts = Tally()
        self.surveys = Tally()
        self.nf = rnd.randint(1000, 5000)
        # The history ends a minute ago: every step of it is in the past.
        self.limit = timezone.now() - MINUTE

    # -- plan -----------------------------------------------------------------

    def plan(self, n):
        """(placed_at, target) of n orders, oldest first. More orders lately (the store is
        growing), placed mostly in the day and evening; the targets follow age: the oldest
        closed, the newest awaiting payment, cancellations at any age."""
        rnd = self.rnd
        now = timezone.localtime(self.limit)
        hours = list(range(24))
        hour_weights = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 3, 4, 5, 5,
                        5, 4.5, 4.5, 4.5, 4.5, 5, 5.5, 6, 7, 7, 5, 2.5]
        placed = []
        for _ in range(n):
            day = int(DAYS * rnd.random() ** 1.3)
            moment = (now - timedelta(days=day)).replace(
                hour=rnd.choices(hours, hour_weights)[0], minute=rnd.randint(0, 59), second=rnd.randint(0, 59),
                microsecond=0)
            if moment > now:
                moment -= timedelta(days=1)
            placed.append(moment)
        placed.sort()
        targets = [None] * n
        newest = list(range(n - 1, -1, -1))
        # Held for lack of stock and waiting in the validation queue: recent orders.
        recent = newest[: max(1, n // 4)]
        for index in rnd.sample(recent, min(len(recent), _quota(n, HELD_SHARE))):
            targets[index] = "held"
        recent = [i for i in newest[: max(1, n // 6)] if targets[i] is None]
        for index in rnd.sample(recent, min(len(recent), _quota(n, QUEUE_SHARE))):
            targets[index] = "queue"
        free = [i for i in range(n) if targets[i] is None]
        for index in rnd.sample(free, min(len(free), _quota(n, CANCELLED_SHARE))):
            targets[index] = Status.CANCELLED
        # The rest by age, a little shuffled: newest → awaiting payment … oldest → closed.
        rest = sorted((i for i in range(n) if targets[i] is None), key=lambda i: -i * rnd.uniform(0.85, 1.15))
        position = 0
        for status, share in PROGRESS:
            take = len(rest) - position if share is None else min(_quota(n, share), len(rest) - position)
            for index in rest[position: position + take]:
                targets[index] = status
            position += take
        return list(zip(placed, targets))

    def _route(self, target, paid_first):
        """The steps after placing an order bound for `target`."""
        if target == Status.CANCELLED:
            return ["pay", "cancel"] if paid_first else ["expire"]
        return ROUTES.get(target, [])

    def _schedule(self, placed_at, route):
        """When each step of `route` happens: drawn from GAPS, then squeezed, when the last one
        would come after the history's end, into the time the order has had."""
        rnd = self.rnd
        gaps = []
        for step in route:
            low, high = GAPS[step]
            if step == "pay" and rnd.random() < LATE_PAYMENT[0]:
                low, high = LATE_PAYMENT[1:]
            gaps.append(_between(rnd, low, high))
        room = self.limit - placed_at
        squeeze = min(1.0, room / sum(gaps, timedelta())) if gaps else 1.0
        at, moments = placed_at, {}
        for step, gap in zip(route, gaps):
            at += gap * squeeze
            moments[step] = at
        return moments

    # -- one order ------------------------------------------------------------

    def _items(self, channel):
        rnd = self.rnd
        count = rnd.choices([1, 2, 3], [60, 28, 12])[0]
        items = []
        for product, quantity in self.stock.pick(count):
            gross = product.price * quantity
            discount = ZERO
            if rnd.random() < 0.15 and gross >= 20:  # a coupon or a promotion
                discount = cents(gross * Decimal(rnd.choice([5, 10, 10, 15])) / 100)
            items.append(ItemInput(product, quantity, product.price, discount))
        return items

    def _shipping(self, channel, items):
        rnd = self.rnd
        subtotal = sum(item.unit_price * item.quantity - item.discount for item in items)
        if channel == Channel.WEB and subtotal >= 199 or rnd.random() < 0.15:
            return ZERO  # free shipping
        return Decimal(f"{rnd.randint(9, 29)}.90")

    def _payment_reference(self):
        rnd = self.rnd
        return rnd.choice([
            f"PIX E{rnd.randint(10**15, 10**16 - 1)}", f"cartão de crédito NSU {rnd.randint(100000, 999999)}",
            f"cartão de crédito NSU {rnd.randint(100000, 999999)} ({rnd.randint(2, 10)}x)",
            f"boleto {rnd.randint(10**9, 10**10 - 1)}",
        ])

    def _carrier(self, channel):
        return self.rnd.choice(CARRIERS.get(channel, OWN_CARRIERS))

    def _place(self, n, placed_at, target, channel, customer, address):
        """Receive the order (its stock reserved, or held when a product is sold out)."""
        rnd = self.rnd
        items = self._items(channel)
        if target == "held" or not items:
            sold_out = self.stock.sold_out()
            if sold_out:  # one sold-out product among the others: the order waits for stock
                product = rnd.choice(sold_out)
                items = [i for i in items if i.product != product][:1] + [ItemInput(product, 1, product.price)]
        if not items:  # nothing left to sell: the order waits for stock
            product = rnd.choice(self.stock.products)
            items = [ItemInput(product, 1, product.price)]
        notes = ""
        if channel == Channel.PHONE:
            notes = rnd.choice(["Pedido por telefone.", "Pedido por telefone; cliente prefere entrega pela manhã.",
                                "Pedido por telefone; pagamento por PIX."])
        elif channel == Channel.MANUAL and rnd.random() < 0.5:
            notes = rnd.choice(["Venda no balcão do showroom.", "Pedido recebido pelo WhatsApp."])
        order, _created = order_create(
            customer=customer.customer, address=customer.address(address), items=items, channel=channel,
            external_id="" if channel in WITHOUT_EXTERNAL_ID else f"DEMO-{channel}-{n}",
            shipping=self._shipping(channel, items), notes=notes, placed_at=placed_at, user=self.staff,
        )
        if order.status != Status.NEW:  # not held for lack of stock
            self.stock.take(items)
        return order, items

    def story(self, n, placed_at, target):
        """One order's life (its customer, channel and the moments of its steps drawn now),
        told step by step at the moments it happened (backoffice.demo.run_history)."""
        rnd = self.rnd
        channel = rnd.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        via_block = target == "queue" and bool(self.customers.blocked) and rnd.random() < 0.5
        customer, address = self.customers.pick(blocked=via_block)
        if customer.first_order is None:
            customer.first_order = placed_at
        paid_first = target == Status.CANCELLED and rnd.random() >= 0.7
        partial = target == Status.AWAITING_PAYMENT and rnd.random() < PARTIAL_SHARE
        overpaid = target == "queue" and not via_block or (
            target not in ("queue", Status.CANCELLED) and rnd.random() < OVERRIDE_SHARE)
        route = ["pay"] if partial else self._route(target, paid_first)
        if not overpaid:
            route = [step for step in route if step != "release"]
        at = self._schedule(placed_at, route)
        return self._life(n, placed_at, target, channel, customer, address, at, partial=partial, overpaid=overpaid)

    def _life(self, n, placed_at, target, channel, customer, address, at, *, partial, overpaid):
        rnd, staff = self.rnd, self.staff
        yield placed_at
        order, items = self._place(n, placed_at, target, channel, customer, address)
        if n % self.progress == 0 and n < self.total:
            self.log(f"{n}/{self.total} orders placed")
        if order.status == Status.NEW:  # held for lack of stock
            self.counts["held"] += 1
            return
        if "expire" in at:
            yield at["expire"]
            order = order_cancel(order=order, user=staff, reason=rnd.choice(CANCEL_UNPAID))
            self.stock.take(items, sign=1)
        elif partial:
            yield at["pay"]
            order = order_confirm_payment(order=order, amount=cents(order.total / 2),
                                          reference="cartão 1 de 2 (pagamento dividido)")
        elif "pay" in at:
            yield at["pay"]
            amount = order.total + Decimal(rnd.choice(["10.00", "0.50", str(order.shipping_total or "5.00")])) \
                if overpaid else order.total
            order = order_confirm_payment(order=order, amount=amount, reference=self._payment_reference())
        if "release" in at:
            yield at["release"]
            order = order_override_validation(
                order=order, user=self.manager,
                reason="Pagamento a maior conferido; diferença será estornada pelo financeiro.")
        if "cancel" in at:
            yield at["cancel"]
            order = order_cancel(order=order, user=staff, reason=rnd.choice(CANCEL_PAID))
            self.stock.take(items, sign=1)
        if "invoice" in at:
            yield at["invoice"]
            self.nf += 1
            order = order_invoice(order=order, user=staff, note=f"NF-e {self.nf} série 1")
        if "ship" in at:
            yield at["ship"]
            order = order_ship(order=order, user=staff, note=f"{self._carrier(channel)} – rastreio "
                               f"{rnd.choice(['AA', 'QB', 'OJ', 'NX'])}{rnd.randint(10**8, 10**9 - 1)}BR")
        if "deliver" in at:
            yield at["deliver"]
            # A delivery of the past: no survey e-mail goes out now.
            order = order_deliver(order=order, note="Entrega confirmada pela transportadora.", survey=False)
            yield from self._after_delivery(order, at)
        self._count(order)

    def _after_delivery(self, order, at):
        """The return or the close, and the survey answer of part of the delivered orders, in
        the order they happened."""
        rnd, staff = self.rnd, self.staff
        steps = []
        if "return" in at:
            steps.append((at["return"], lambda: order_return(order=order, user=staff,
                                                             reason=rnd.choice(RETURN_REASONS))))
        elif "close" in at:
            steps.append((at["close"], lambda: order_close(order=order, user=staff,
                                                           note="Prazo de arrependimento encerrado.")))
        if "return" not in at and rnd.random() < SURVEY_SHARE:
            low, high = GAPS["survey"]
            answered = min(at["deliver"] + _between(rnd, low, high), self.limit)
            steps.append((answered, lambda: self._answer(order)))
        for moment, step in sorted(steps, key=lambda pair: pair[0]):
            yield moment
            step()

    def _answer(self, order):
        rnd = self.rnd
        score = rnd.choices(SURVEY_SCORES, SURVEY_WEIGHTS)[0]
        group = SurveyAnswer(score=score).group
        comment = rnd.choice(SURVEY_COMMENTS[group]) if rnd.random() < 0.6 else ""
        survey_answer(order=order, score=score, comment=comment)
        self.surveys[group] += 1

    def _count(self, order):
        order.refresh_from_db(fields=["status", "validation_failures"])
        key = "validation queue" if order.in_validation_queue else order.status
        self.counts[key] += 1

    def stories(self, n):
        plan = self.plan(n)
        self.total, self.progress = n, max(100, n // 5)
        return [self.story(number, placed_at, target) for number, (placed_at, target) in enumerate(plan, start=1)]

    def summary(self):
        counts, surveys = self.counts, self.surveys
        answered = sum(surveys.values())
        nps = round(100 * (surveys["promoter"] - surveys["detractor"]) / answered) if answered else 0
        statuses = ", ".join(f"{count} {key}" for key, count in sorted(counts.items(), key=lambda kv: -kv[1]))
        return [f"{sum(counts.values())} orders: {statuses}", f"{answered} survey answers (NPS {nps:+d})"]


@demo_seeder(order=20)
def seed_orders(*, faker, orders, log, **kwargs):
    """Customers and `orders` orders taken through the pipeline (see the module docstring)."""
    if Order.objects.exists():
        log("orders already there: no customers or orders seeded")
        return
    if orders <= 0:
        log("no orders asked for: no customers or orders seeded")
        return
    if not City.objects.exists():
        log("no IBGE cities loaded (run migrate): no customers or orders seeded")
        return
    rnd = random.Random(faker.random.getrandbits(64))
    User = get_user_model()
    staff = User.objects.filter(username="staff").first()
    manager = User.objects.filter(username="manager").first() or staff

    stock = _Stock(rnd)
    if not stock.products:
        log("no active products (seed the inventory first): no orders seeded")
        return
    places = _Places(rnd)
    count = max(10, round(orders * 0.6)) if orders <= 500 else 300 + (orders - 500) // 8
    customers = _Customers(rnd=rnd, faker=faker, places=places, user=staff)
    customers.plan(count, blocked=max(1, count // 60))
    seeding = _Orders(rnd=rnd, faker=faker, customers=customers, stock=stock, staff=staff, manager=manager, log=log)
    order_stories = seeding.stories(orders)  # picks the customers: before theirs are told
    start = seeding.limit - timedelta(days=DAYS)
    run_history([*customers.stories(start, seeding.limit), *order_stories])
    c = customers.counts
    log(f"{count} customers ({c['person']} people, {c['company']} companies, {len(customers.blocked)} blocked), "
        f"{c['addresses']} addresses")
    for line in seeding.summary():
        log(line)


@demo_seeder(order=25)
def seed_cep_lookup(*, log, **kwargs):
    """The CEP lookup's sandbox (`make run`) answers the CEPs of the demo's addresses."""
    log(f"CEP lookup sandbox: {keep_store_ceps()} CEPs of the store's addresses")
