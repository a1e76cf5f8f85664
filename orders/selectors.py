"""Read queries on customers and orders, shared by views, tasks and analytics."""

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse

from backoffice.search import text_search

from .models import Channel, City, Customer, Order, SurveyAnswer


def customers():
    return Customer.objects.filter(merged_into__isnull=True).annotate(order_count=Count("orders"))


def customer_duplicates(customer: Customer):
    """Other customers with the same document or e-mail: candidates for a merge."""
    match = Q(document=customer.document)
    if customer.email:
        match |= Q(email__iexact=customer.email)
    return Customer.objects.filter(match, merged_into__isnull=True).exclude(pk=customer.pk).order_by("pk")


def document_holder(document: str, *, customer_pk: int | None = None) -> Customer | None:
    """The other customer that the CPF/CNPJ `document` (compact) identifies already, which
    refuses it to customer `customer_pk` (None: a new one). A customer keeps the document it
    has, even one it shares with a customer registered before the rule."""
    if customer_pk and Customer.objects.filter(pk=customer_pk, document=document).exists():
        return None
    others = Customer.objects.filter(document=document, merged_into__isnull=True).exclude(pk=customer_pk)
    return others.order_by("pk").first()


def customer_match(text: str) -> Q:
    """Customers whose name or e-mail contains `text` (accents and case ignored), or whose
    CPF/CNPJ starts with it (typed with or without punctuation)."""
    text = text.strip()
    match = text_search(text, "name", "email")
    document = "".join(ch for ch in text if ch.isalnum()).upper()
    if document:
        match |= Q(document__startswith=document)
    return match


def customer_search(text: str, limit: int = 10):
    text = (text or "").strip()
    if len(text) < 2:
        return Customer.objects.none()
    return Customer.objects.filter(customer_match(text), merged_into__isnull=True).order_by("name")[:limit]


def orders():
    return Order.objects.select_related("customer")


def cities(uf: str):
    return City.objects.filter(uf=uf).order_by("name")


def survey_answers():
    return SurveyAnswer.objects.select_related("order__customer")


def _nps(counts):
    total = counts["total"]
    if not total:
        return None
    return round(100 * (counts["promoters"] - counts["detractors"]) / total)


NPS_COUNTS = {
    "total": Count("pk"),
    "promoters": Count("pk", filter=Q(score__gte=SurveyAnswer.PROMOTER_FROM)),
    "detractors": Count("pk", filter=Q(score__lt=SurveyAnswer.PASSIVE_FROM)),
}


def nps(answers) -> dict:
    """Net Promoter Score of these answers: % promoters (9–10) minus % detractors (0–6)."""
    counts = answers.order_by().aggregate(**NPS_COUNTS)
    return {**counts, "score": _nps(counts)}


def nps_by_channel(answers) -> list[dict]:
    rows = answers.order_by().values("order__channel").annotate(**NPS_COUNTS).order_by("order__channel")
    return [{**row, "channel": Channel(row["order__channel"]).label, "score": _nps(row)} for row in rows]


def nps_by_month(answers) -> list[dict]:
    rows = (answers.order_by().annotate(month=TruncMonth("answered_at")).values("month").annotate(**NPS_COUNTS)
            .order_by("month"))
    return [{**row, "score": _nps(row)} for row in rows]


def order_links(keys):
    """The orders behind inventory's "order:<pk>" references: their number and page."""
    pks = [int(key) for key in keys if key.isdigit()]
    return {str(pk): (f"#{number}", reverse("orders:order_detail", args=[pk]))
            for pk, number in Order.objects.filter(pk__in=pks).values_list("pk", "number")}
