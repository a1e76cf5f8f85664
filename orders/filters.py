"""Filters of the customer and order lists."""

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backoffice.filters import period_filter, yes_no_filter
from backoffice.search import text_search
from inventory.models import Product

from .models import Channel, Customer, Order, OrderItem, Status, SurveyAnswer
from .selectors import customer_match


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Customer.Kind.choices, empty_label=_("All"))
    blocked = yes_no_filter(_("Blocked"))

    class Meta:
        model = Customer
        fields = ["q", "kind", "blocked"]

    def search(self, queryset, name, value):
        return queryset.filter(customer_match(value))


# The customers matched by what was typed (name, e-mail, CPF/CNPJ) and the item rows of the
# products matched by SKU, beyond which the search asks the database for them in a subquery
# instead of writing their ids into the query.
CUSTOMER_MATCHES = 1000
SKU_ITEMS = 10_000
# Shorter than this, a CPF/CNPJ or a SKU is matched whole rather than by its beginning, and a
# name not at all: a trigram index finds nothing in one or two letters, and every customer's name
# would be folded and compared.
PREFIX_FROM = 3
PAYMENT_STATES = [("unpaid", _("unpaid")), ("partial", _("partly paid")), ("paid", _("paid in full"))]
# The orders of the validation queue, and the new ones held for want of stock: the home page counts them
# too (orders.work).
IN_QUEUE = Q(status=Status.PAID) & ~Q(validation_failures=[])
HELD = Q(status=Status.NEW) & ~Q(hold={})


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, empty_label=_("All"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All"))
    placed_at = period_filter()
    ship_uf = django_filters.CharFilter(label=_("UF"), method="by_uf", max_length=2)
    payment = django_filters.ChoiceFilter(label=_("Payment"), choices=PAYMENT_STATES, method="by_payment",
                                          empty_label=_("All"))
    queue = django_filters.BooleanFilter(
        label=_("Validation queue"), method="in_queue",
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes"))]),
    )
    held = django_filters.BooleanFilter(
        label=_("On hold for stock"), method="on_hold",
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes"))]),
    )

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "placed_at", "ship_uf", "payment", "queue", "held"]

    def search(self, queryset, name, value):
        """What staff type: a customer's name (any part of three letters or more, accents and
        case ignored) or e-mail (its beginning), a SKU (the orders containing it), or, what has
        digits, the order's number, the marketplace's order id, the customer's CPF/CNPJ (its
        beginning). Each is
        matched through its own index (names through a trigram index on PostgreSQL), so a
        search of a million orders stays fast."""
        value = value.strip().lstrip("#")
        if "@" in value:
            return queryset.filter(customer__in=Customer.objects.filter(email__istartswith=value))
        customers, match = Q(email__istartswith=value), Q()
        if any(ch.isdigit() for ch in value):
            match = Q(external_id=value)
            if value.isdigit() and int(value) < 2**31:
                match |= Q(number=int(value))
            document = "".join(ch for ch in value if ch.isalnum()).upper()
            if len(document) >= PREFIX_FROM:
                customers |= Q(document__startswith=document)
        elif len(value) >= PREFIX_FROM:
            customers |= text_search(value, "name")
        sku = Q(sku__istartswith=value) if len(value) >= PREFIX_FROM else Q(sku__iexact=value)
        items = OrderItem.objects.filter(product__in=Product.objects.filter(sku)).order_by()
        sku_orders = _written_out(items.values_list("order_id", flat=True), SKU_ITEMS)
        if not match and sku_orders == []:
            # The customers alone: a semi-join the planner runs from whichever side is rarer.
            return queryset.filter(customer__in=Customer.objects.filter(customers))
        # Written out, the conditions are read from the orders' own indexes at once.
        customer_ids = _written_out(Customer.objects.filter(customers).order_by().values_list("pk", flat=True),
                                    CUSTOMER_MATCHES)
        return queryset.filter(match | Q(customer__pk__any=customer_ids) | Q(pk__any=sku_orders))

    def by_uf(self, queryset, name, value):
        return queryset.filter(ship_uf=value.upper())

    def by_payment(self, queryset, name, value):
        return {
            "unpaid": queryset.filter(paid_amount=0),
            "partial": queryset.filter(paid_amount__gt=0, paid_amount__lt=F("total")),
            "paid": queryset.filter(paid_amount__gte=F("total")),
        }[value]

    def in_queue(self, queryset, name, value):
        return queryset.filter(IN_QUEUE) if value else queryset

    def on_hold(self, queryset, name, value):
        return queryset.filter(HELD) if value else queryset


def _written_out(query, limit):
    """The distinct values of `query` (a values_list) when it has at most `limit` rows, else
    `query` itself."""
    values = list(query[:limit + 1])
    return query if len(values) > limit else sorted(set(values))


class SurveyAnswerFilter(django_filters.FilterSet):
    answered_at = period_filter()
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, field_name="order__channel",
                                          empty_label=_("All"))

    class Meta:
        model = SurveyAnswer
        fields = ["answered_at", "channel"]
