"""The NF-e's rollups and metrics (backoffice.metrics): the invoices by the day they were drafted,
along their operation and the recipient's UF — authorized, rejected, cancelled — and the taxes of
those authorized."""

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, MONEY, Dimension, Metric, Rollup, choice_labels

from .models import Invoice, Operation

AUTHORIZED = Q(status=Invoice.Status.AUTHORIZED)
STATE_TAX = F("icms_total") + F("st_total") + F("difal_total") + F("fcp_total")
FEDERAL_TAX = F("ipi_total") + F("pis_total") + F("cofins_total")
REFORM_TAX = F("ibs_total") + F("cbs_total")

INVOICES = Rollup(
    "fiscal.invoices", model="fiscal.Invoice", moment="created_at",
    dimensions=(Dimension("operation", _("Operation"), "operation", choice_labels(Operation.choices)),
                Dimension("uf", _("UF"), "recipient_uf")),
    measures={
        "authorized": Count("pk", filter=AUTHORIZED),
        "rejected": Count("pk", filter=Q(status__in=[Invoice.Status.REJECTED, Invoice.Status.DENIED])),
        "cancelled": Count("pk", filter=Q(status=Invoice.Status.CANCELLED)),
        "value": Sum("total", filter=AUTHORIZED),
        "state_tax": Sum(STATE_TAX, filter=AUTHORIZED),
        "federal_tax": Sum(FEDERAL_TAX, filter=AUTHORIZED),
        "reform_tax": Sum(REFORM_TAX, filter=AUTHORIZED),
    },
    watches={"fiscal.Invoice": "pk"},
)


def taxes(values):
    state, federal, reform = values.values()
    return state + federal + reform


METRICS = (
    INVOICES,
    Metric("fiscal.authorized", _("NF-e authorized"), COUNT, ("fiscal.invoices:authorized",)),
    Metric("fiscal.rejected", _("NF-e rejected"), COUNT, ("fiscal.invoices:rejected",), higher_is_better=False,
           description=_("Invoices SEFAZ rejected or denied, still to fix and issue again.")),
    Metric("fiscal.cancelled", _("NF-e cancelled"), COUNT, ("fiscal.invoices:cancelled",), higher_is_better=False),
    Metric("fiscal.invoiced", _("Invoiced"), MONEY, ("fiscal.invoices:value",)),
    Metric("fiscal.taxes", _("Taxes on the NF-e"), MONEY,
           ("fiscal.invoices:state_tax", "fiscal.invoices:federal_tax", "fiscal.invoices:reform_tax"), taxes,
           higher_is_better=False,
           description=_("ICMS (with ICMS-ST, DIFAL and FCP), IPI, PIS, COFINS, IBS and CBS of the authorized NF-e.")),
    Metric("fiscal.state_tax", _("ICMS (all)"), MONEY, ("fiscal.invoices:state_tax",), higher_is_better=False),
    Metric("fiscal.federal_tax", _("IPI, PIS and COFINS"), MONEY, ("fiscal.invoices:federal_tax",),
           higher_is_better=False),
    Metric("fiscal.reform_tax", _("IBS and CBS"), MONEY, ("fiscal.invoices:reform_tax",), higher_is_better=False),
)
