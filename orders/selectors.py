"""Read queries on customers and orders, shared by views, tasks and analytics."""

from django.db.models import Count, Q

from .models import City, Customer, Order


def customers():
    return Customer.objects.filter(merged_into__isnull=True).annotate(order_count=Count("orders"))


def customer_duplicates(customer: Customer):
    """Other customers with the same document or e-mail: candidates for a merge."""
    match = Q(document=customer.document)
    if customer.email:
        match |= Q(email__iexact=customer.email)
    return Customer.objects.filter(match, merged_into__isnull=True).exclude(pk=customer.pk).order_by("pk")


def customer_search(text: str, limit: int = 10):
    text = (text or "").strip()
    if len(text) < 2:
        return Customer.objects.none()
    digits = "".join(ch for ch in text if ch.isalnum()).upper()
    match = Q(name__icontains=text) | Q(email__icontains=text)
    if digits:
        match |= Q(document__startswith=digits)
    return Customer.objects.filter(match, merged_into__isnull=True).order_by("name")[:limit]


def orders():
    return Order.objects.select_related("customer")


def cities(uf: str):
    return City.objects.filter(uf=uf).order_by("name")
