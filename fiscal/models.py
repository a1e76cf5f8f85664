"""The store's fiscal side: its fiscal profile and A1 certificate, the numbering series, the tax
rules, and the documents SEFAZ keeps — NF-e (issued from orders, or entry NF-e for returns), their
events (cancellation, CC-e) and the voided number ranges (inutilização) — with what SEFAZ said."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions
from backoffice.fields import EncryptedJSONField, MoneyField
from backoffice.timeline import StateMachine, timeline_events

UF_CODES = {
    "RO": "11", "AC": "12", "AM": "13", "RR": "14", "PA": "15", "AP": "16", "TO": "17", "MA": "21", "PI": "22",
    "CE": "23", "RN": "24", "PB": "25", "PE": "26", "AL": "27", "SE": "28", "BA": "29", "MG": "31", "ES": "32",
    "RJ": "33", "SP": "35", "PR": "41", "SC": "42", "RS": "43", "MS": "50", "MT": "51", "GO": "52", "DF": "53",
}
UF_CHOICES = [(uf, uf) for uf in sorted(UF_CODES)]


def rate_field(verbose_name, **kwargs):
    """A tax rate in percent (18.0000 is 18 %), as the NF-e's p* fields carry it."""
    kwargs.setdefault("default", 0)
    return models.DecimalField(verbose_name, max_digits=7, decimal_places=4, **kwargs)


class Environment(models.IntegerChoices):
    """tpAmb: where an NF-e is sent; only production's have fiscal value."""

    PRODUCTION = 1, _("Production")
    HOMOLOGATION = 2, _("Homologation (test)")


class Regime(models.IntegerChoices):
    """CRT: the issuer's tax regime."""

    SIMPLES = 1, _("Simples Nacional")
    SIMPLES_EXCESS = 2, _("Simples Nacional, gross revenue above the sublimit")
    NORMAL = 3, _("Regime Normal")
    MEI = 4, _("MEI")


# ICMS by CSOSN, not CST (NF-e rules 590/591): CRT 2 pays ICMS outside the Simples, by CST.
SIMPLES_REGIMES = (Regime.SIMPLES, Regime.MEI)


class Operation(models.TextChoices):
    SALE_CONSUMER = "sale_consumer", _("Sale to a consumer")
    SALE_COMPANY = "sale_company", _("Sale to a company")
    RETURN = "return", _("Customer return")
    TRANSFER = "transfer", _("Transfer between establishments")


class FiscalProfile(models.Model):
    """The issuer (emitente): one row, the store's. Its A1 certificate is kept encrypted
    ({"pfx": base64, "password": …}); what it says of itself is copied beside it to be shown
    and checked without decrypting it."""

    legal_name = models.CharField(_("legal name"), max_length=60)
    trade_name = models.CharField(_("trade name"), max_length=60, blank=True)
    # 14 characters: digits, or the alphanumeric CNPJ (12 letters or digits, 2 check digits).
    cnpj = models.CharField(_("CNPJ"), max_length=14)
    state_registration = models.CharField(_("state registration (IE)"), max_length=14)
    municipal_registration = models.CharField(_("municipal registration (IM)"), max_length=15, blank=True)
    cnae = models.CharField(_("CNAE"), max_length=7, blank=True)
    regime = models.PositiveSmallIntegerField(_("tax regime (CRT)"), choices=Regime.choices, default=Regime.SIMPLES)
    cep = models.CharField(_("CEP"), max_length=8)
    street = models.CharField(_("street"), max_length=60)
    number = models.CharField(_("number"), max_length=60)
    complement = models.CharField(_("complement"), max_length=60, blank=True)
    district = models.CharField(_("district"), max_length=60)
    city = models.ForeignKey("orders.City", verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("phone"), max_length=14, blank=True)
    environment = models.PositiveSmallIntegerField(_("environment"), choices=Environment.choices,
                                                   default=Environment.HOMOLOGATION)
    accountant_email = models.EmailField(_("accountant's e-mail"), blank=True,
                                         help_text=_("The month's XML files are sent here on the 1st."))
    # The last month whose XML files were e-mailed to the accountant (its first day): sent once.
    accountant_sent_month = models.DateField(_("XML files last sent for"), null=True, blank=True)
    # "<certificate serial>:<soon|expired>": the last expiry warning e-mailed, once per certificate and stage.
    certificate_warning = models.CharField(_("certificate warning sent"), max_length=80, blank=True)
    certificate = EncryptedJSONField(_("A1 certificate"))
    certificate_subject = models.CharField(_("certificate subject"), max_length=300, blank=True)
    certificate_cnpj = models.CharField(_("certificate CNPJ"), max_length=14, blank=True)
    certificate_serial = models.CharField(_("certificate serial number"), max_length=64, blank=True)
    certificate_expires_at = models.DateTimeField(_("certificate expires"), null=True, blank=True)
    certificate_is_test = models.BooleanField(_("test certificate"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("fiscal profile")
        verbose_name_plural = _("fiscal profiles")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="fiscalprofile_one_row")]

    def __str__(self):
        return self.legal_name

    @property
    def uf(self) -> str:
        return self.city.uf

    @property
    def uses_csosn(self) -> bool:
        return self.regime in SIMPLES_REGIMES


class Series(models.Model):
    """A numbering series of NF-e (modelo 55) in one environment: numbers are taken in order, one
    at a time (the row is locked), and never given twice."""

    environment = models.PositiveSmallIntegerField(_("environment"), choices=Environment.choices)
    number = models.PositiveSmallIntegerField(_("series"))
    next_number = models.PositiveIntegerField(_("next number"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["environment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "number"], name="series_unique"),
            models.CheckConstraint(condition=Q(number__lte=999), name="series_number_0_to_999"),
            models.CheckConstraint(condition=Q(next_number__gte=1, next_number__lte=1_000_000_000),
                                   name="series_next_number_in_range"),
        ]

    def __str__(self):
        return f"{self.number} ({self.get_environment_display()})"


class RegimeGroup(models.TextChoices):
    SIMPLES = "simples", _("Simples Nacional and MEI (CSOSN)")
    NORMAL = "normal", _("Regime Normal (CST)")


class Scope(models.TextChoices):
    ANY = "any", _("Any")
    INTERNAL = "internal", _("Within the state")
    INTERSTATE = "interstate", _("Between states")


class TaxRule(models.Model):
    """How an item is taxed: for an operation, a regime, a scope (within the state or between
    states), optionally an origin or destination UF and an NCM prefix. The most specific active
    rule that matches wins (`priority` breaks ties). Interstate ICMS rates (4/7/12 %) come from the
    UFs and the product's origin, not from the rule."""

    operation = models.CharField(_("operation"), max_length=20, choices=Operation.choices)
    regime = models.CharField(_("regime"), max_length=10, choices=RegimeGroup.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.ANY)
    origin_uf = models.CharField(_("origin UF"), max_length=2, choices=UF_CHOICES, blank=True)
    destination_uf = models.CharField(_("destination UF"), max_length=2, choices=UF_CHOICES, blank=True)
    ncm_prefix = models.CharField(_("NCM prefix"), max_length=8, blank=True,
                                  help_text=_("Empty: every product; 6101: every NCM starting 6101."))
    priority = models.SmallIntegerField(_("priority"), default=0)
    cfop = models.CharField(_("CFOP"), max_length=4)
    icms_code = models.CharField(_("ICMS CST/CSOSN"), max_length=3,
                                 help_text=_("CST (2 digits) in Regime Normal, CSOSN (3 digits) in Simples Nacional."))
    icms_rate = rate_field(_("ICMS rate (%) within the state"))
    icms_base_reduction = rate_field(_("ICMS base reduction (%)"))
    st_mva = rate_field(_("ICMS-ST MVA (%)"))
    st_rate = rate_field(_("ICMS-ST rate (%)"))
    fcp_rate = rate_field(_("FCP rate (%)"))
    ipi_cst = models.CharField(_("IPI CST"), max_length=2, blank=True)
    ipi_rate = rate_field(_("IPI rate (%)"))
    ipi_framework = models.CharField(_("IPI framework code"), max_length=3, default="999")
    sn_credit_rate = rate_field(
        _("Simples Nacional ICMS credit rate (%)"),
        help_text=_("pCredSN, for CSOSN 101 and 201: the rate of the issuer's Simples bracket."))
    pis_cst = models.CharField(_("PIS CST"), max_length=2)
    pis_rate = rate_field(_("PIS rate (%)"))
    cofins_cst = models.CharField(_("COFINS CST"), max_length=2)
    cofins_rate = rate_field(_("COFINS rate (%)"))
    ibscbs_cst = models.CharField(_("IBS/CBS CST"), max_length=3, blank=True)
    ibscbs_class = models.CharField(_("IBS/CBS cClassTrib"), max_length=6, blank=True)
    cbs_rate = rate_field(_("CBS rate (%)"))
    ibs_state_rate = rate_field(_("IBS rate, state (%)"))
    ibs_city_rate = rate_field(_("IBS rate, municipality (%)"))
    active = models.BooleanField(_("active"), default=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tax rule")
        verbose_name_plural = _("tax rules")
        ordering = ["operation", "regime", "scope", "-priority", "pk"]

    def __str__(self):
        return f"{self.get_operation_display()} · {self.get_regime_display()} · CFOP {self.cfop}"


class StateTaxRate(models.Model):
    """A UF's internal ICMS rate and its FCP: what DIFAL is computed from, for an interstate sale to
    a consumer who is not an ICMS contributor (EC 87/2015)."""

    uf = models.CharField(_("UF"), max_length=2, choices=UF_CHOICES, primary_key=True)
    icms_rate = rate_field(_("internal ICMS rate (%)"))
    fcp_rate = rate_field(_("FCP rate (%)"))

    class Meta:
        verbose_name = _("state ICMS rate")
        verbose_name_plural = _("state ICMS rates")
        ordering = ["uf"]

    def __str__(self):
        return f"{self.uf}: {self.icms_rate} %"


class Invoice(models.Model):
    """An NF-e (modelo 55). Its number is taken when it is first signed and stays with it: a
    rejected invoice is fixed and signed again under the same number (or its number voided). The
    signed XML is stored before it is sent; after a timeout it is looked up by its key."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")
        SENT = "sent", _("Sent to SEFAZ")
        AUTHORIZED = "authorized", _("Authorized")
        REJECTED = "rejected", _("Rejected")
        DENIED = "denied", _("Denied")
        CANCELLED = "cancelled", _("Cancelled")
        VOIDED = "voided", _("Number voided")

    class Direction(models.IntegerChoices):
        """tpNF."""

        INCOMING = 0, _("Entry")
        OUTGOING = 1, _("Exit")

    class Purpose(models.IntegerChoices):
        """finNFe."""

        NORMAL = 1, _("Normal")
        COMPLEMENTARY = 2, _("Complementary")
        ADJUSTMENT = 3, _("Adjustment")
        RETURN = 4, _("Return")

    states = StateMachine({
        Status.DRAFT: {Status.SIGNED},
        # Signed, stored, then sent; a lookup by key may find it already decided.
        Status.SIGNED: {Status.SENT, Status.AUTHORIZED, Status.REJECTED, Status.DENIED},
        Status.SENT: {Status.AUTHORIZED, Status.REJECTED, Status.DENIED},
        # Fixed and signed again under the same number, or the number voided.
        Status.REJECTED: {Status.SIGNED, Status.VOIDED},
        Status.AUTHORIZED: {Status.CANCELLED},
    })

    order = models.ForeignKey("orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, null=True,
                              blank=True, related_name="invoices")
    refers_to = models.ForeignKey("self", verbose_name=_("refers to"), on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="referenced_by")
    operation = models.CharField(_("operation"), max_length=20, choices=Operation.choices)
    direction = models.PositiveSmallIntegerField(_("direction"), choices=Direction.choices,
                                                 default=Direction.OUTGOING)
    purpose = models.PositiveSmallIntegerField(_("purpose"), choices=Purpose.choices, default=Purpose.NORMAL)
    environment = models.PositiveSmallIntegerField(_("environment"), choices=Environment.choices)
    series = models.PositiveSmallIntegerField(_("series"))
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    key = models.CharField(_("access key"), max_length=44, blank=True)
    code = models.CharField(_("numeric code (cNF)"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    status_code = models.CharField(_("SEFAZ code"), max_length=3, blank=True)
    status_message = models.CharField(_("SEFAZ message"), max_length=255, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True, db_index=True)
    # The signed NFe element, byte for byte as sent (UTF-8 text); nfeProc once authorized.
    xml = models.TextField(_("signed XML"), blank=True)
    authorized_xml = models.TextField(_("authorized XML (nfeProc)"), blank=True)
    receipt = models.CharField(_("receipt (nRec)"), max_length=15, blank=True)
    protocol = models.CharField(_("authorization protocol"), max_length=17, blank=True)
    authorized_at = models.DateTimeField(_("authorized"), null=True, blank=True)
    last_response = models.TextField(_("SEFAZ's last answer"), blank=True)
    emailed_at = models.DateTimeField(_("DANFE and XML e-mailed"), null=True, blank=True)
    # The recipient (destinatário) as invoiced.
    recipient_name = models.CharField(_("recipient"), max_length=60, blank=True)
    recipient_document = models.CharField(_("recipient CPF/CNPJ"), max_length=14, blank=True)
    recipient_uf = models.CharField(_("recipient UF"), max_length=2, blank=True)
    recipient_email = models.EmailField(_("recipient e-mail"), blank=True)
    # Totals (ICMSTot, IBSCBSTot), the sums of the items' figures.
    products_total = MoneyField(_("products"), default=0)
    discount_total = MoneyField(_("discount"), default=0)
    freight_total = MoneyField(_("freight"), default=0)
    icms_base = MoneyField(_("ICMS base"), default=0)
    icms_total = MoneyField(_("ICMS"), default=0)
    st_base = MoneyField(_("ICMS-ST base"), default=0)
    st_total = MoneyField(_("ICMS-ST"), default=0)
    difal_total = MoneyField(_("DIFAL (destination UF)"), default=0)
    fcp_total = MoneyField(_("FCP"), default=0)
    ipi_total = MoneyField(_("IPI"), default=0)
    pis_total = MoneyField(_("PIS"), default=0)
    cofins_total = MoneyField(_("COFINS"), default=0)
    ibs_total = MoneyField(_("IBS"), default=0)
    cbs_total = MoneyField(_("CBS"), default=0)
    total = MoneyField(_("invoice total"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("NF-e")
        verbose_name_plural = _("NF-e")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("issue_invoice", _("Can issue NF-e, correction letters and void numbers")),
            ("cancel_invoice", _("Can cancel NF-e")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["environment", "series", "number"], condition=Q(number__isnull=False),
                                    name="invoice_number_unique"),
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="invoice_key_unique"),
        ]
        indexes = [models.Index(fields=["status", "issued_at"], name="invoice_status_issued")]

    def __str__(self):
        if self.number:
            return f"NF-e {self.number}/{self.series}"
        return str(_("NF-e draft %(pk)s")) % {"pk": self.pk}

    def delete(self, *args, **kwargs):
        raise PermissionError("NF-e are fiscal documents: never deleted (a rejected one's number is voided).")


class InvoiceItem(models.Model):
    """One item (det) as invoiced, with its figures: the books and the returns read them here."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("NF-e"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("item"))  # nItem, 1 to 990
    product = models.ForeignKey("inventory.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")
    order_item = models.ForeignKey("orders.OrderItem", verbose_name=_("order item"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    # The item of the invoice a return's item gives back.
    returns_item = models.ForeignKey("self", verbose_name=_("returns"), on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="returned_by")
    sku = models.CharField(_("SKU"), max_length=60)
    name = models.CharField(_("description"), max_length=120)
    ncm = models.CharField(_("NCM"), max_length=8)
    cest = models.CharField(_("CEST"), max_length=7, blank=True)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    origin = models.PositiveSmallIntegerField(_("origin"), default=0)
    cfop = models.CharField(_("CFOP"), max_length=4)
    unit = models.CharField(_("unit"), max_length=6)
    quantity = models.DecimalField(_("quantity"), max_digits=15, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=21, decimal_places=10)
    gross = MoneyField(_("gross (vProd)"))
    discount = MoneyField(_("discount"), default=0)
    freight = MoneyField(_("freight"), default=0)
    icms_code = models.CharField(_("ICMS CST/CSOSN"), max_length=3)
    icms_base_reduction = rate_field(_("ICMS base reduction (%)"))
    icms_base = MoneyField(_("ICMS base"), default=0)
    icms_rate = rate_field(_("ICMS rate (%)"))
    icms_amount = MoneyField(_("ICMS"), default=0)
    # Simples Nacional: the ICMS credit a contributor buyer may take (CSOSN 101, 201).
    sn_credit_rate = rate_field(_("Simples Nacional ICMS credit rate (%)"))
    sn_credit_amount = MoneyField(_("Simples Nacional ICMS credit"), default=0)
    st_mva = rate_field(_("ICMS-ST MVA (%)"))
    st_base = MoneyField(_("ICMS-ST base"), default=0)
    st_rate = rate_field(_("ICMS-ST rate (%)"))
    st_amount = MoneyField(_("ICMS-ST"), default=0)
    fcp_rate = rate_field(_("FCP rate (%)"))
    fcp_amount = MoneyField(_("FCP"), default=0)
    # DIFAL (ICMSUFDest): the destination UF's internal rate; its base is the ICMS base, its
    # FCP the item's FCP (an item has FCP of its own UF or of the destination's, never both).
    difal_rate = rate_field(_("destination UF's internal rate (%)"))
    difal_amount = MoneyField(_("DIFAL (destination UF)"), default=0)
    ipi_cst = models.CharField(_("IPI CST"), max_length=2, blank=True)
    ipi_framework = models.CharField(_("IPI framework code"), max_length=3, blank=True)
    ipi_base = MoneyField(_("IPI base"), default=0)
    ipi_rate = rate_field(_("IPI rate (%)"))
    ipi_amount = MoneyField(_("IPI"), default=0)
    pis_cst = models.CharField(_("PIS CST"), max_length=2)
    pis_base = MoneyField(_("PIS base"), default=0)
    pis_rate = rate_field(_("PIS rate (%)"))
    pis_amount = MoneyField(_("PIS"), default=0)
    cofins_cst = models.CharField(_("COFINS CST"), max_length=2)
    cofins_base = MoneyField(_("COFINS base"), default=0)
    cofins_rate = rate_field(_("COFINS rate (%)"))
    cofins_amount = MoneyField(_("COFINS"), default=0)
    ibscbs_cst = models.CharField(_("IBS/CBS CST"), max_length=3, blank=True)
    ibscbs_class = models.CharField(_("IBS/CBS cClassTrib"), max_length=6, blank=True)
    ibscbs_base = MoneyField(_("IBS/CBS base"), default=0)
    ibs_state_rate = rate_field(_("IBS rate, state (%)"))
    ibs_city_rate = rate_field(_("IBS rate, municipality (%)"))
    ibs_state_amount = MoneyField(_("IBS, state"), default=0)
    ibs_city_amount = MoneyField(_("IBS, municipality"), default=0)
    ibs_amount = MoneyField(_("IBS"), default=0)
    cbs_rate = rate_field(_("CBS rate (%)"))
    cbs_amount = MoneyField(_("CBS"), default=0)
    total = MoneyField(_("item total"))

    class Meta:
        verbose_name = _("NF-e item")
        verbose_name_plural = _("NF-e items")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceitem_position_unique"),
            models.CheckConstraint(condition=Q(position__gte=1, position__lte=990), name="invoiceitem_position_range"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoiceitem_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.position}: {self.sku}"


class InvoiceEvent(models.Model):
    """An event SEFAZ registers on an authorized NF-e: its cancellation, or a correction letter
    (CC-e, numbered per invoice; the latest one replaces the ones before). Signed, stored, sent."""

    class Kind(models.TextChoices):
        CANCELLATION = "110111", _("Cancellation")
        CORRECTION = "110110", _("Correction letter (CC-e)")

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")

    states = StateMachine({
        Status.SIGNED: {Status.REGISTERED, Status.REJECTED},
        # SEFAZ registered nothing: the same sequence is signed again (a cancellation is always 1).
        Status.REJECTED: {Status.SIGNED},
    })

    invoice = models.ForeignKey(Invoice, verbose_name=_("NF-e"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=6, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    text = models.TextField(_("justification or correction"), max_length=1000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SIGNED)
    status_code = models.CharField(_("SEFAZ code"), max_length=3, blank=True)
    status_message = models.CharField(_("SEFAZ message"), max_length=255, blank=True)
    xml = models.TextField(_("signed XML"))
    registered_xml = models.TextField(_("registered XML (procEventoNFe)"), blank=True)
    protocol = models.CharField(_("protocol"), max_length=17, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("NF-e event")
        verbose_name_plural = _("NF-e events")
        ordering = ["invoice", "kind", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind", "sequence"], name="invoiceevent_sequence_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1, sequence__lte=20), name="invoiceevent_sequence_range"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.sequence} · {self.invoice}"

    def delete(self, *args, **kwargs):
        raise PermissionError("NF-e events are fiscal documents: never deleted.")


class VoidedRange(models.Model):
    """A range of numbers of a series declared unused (inutilização): numbers skipped, or taken
    by invoices SEFAZ rejected and that will not be issued."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")

    states = StateMachine({Status.SIGNED: {Status.REGISTERED, Status.REJECTED}})

    environment = models.PositiveSmallIntegerField(_("environment"), choices=Environment.choices)
    series = models.PositiveSmallIntegerField(_("series"))
    first = models.PositiveIntegerField(_("from number"))
    last = models.PositiveIntegerField(_("to number"))
    year = models.PositiveSmallIntegerField(_("year"))
    reason = models.CharField(_("justification"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SIGNED)
    status_code = models.CharField(_("SEFAZ code"), max_length=3, blank=True)
    status_message = models.CharField(_("SEFAZ message"), max_length=255, blank=True)
    xml = models.TextField(_("signed XML"))
    registered_xml = models.TextField(_("registered XML (procInutNFe)"), blank=True)
    protocol = models.CharField(_("protocol"), max_length=17, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)

    class Meta:
        verbose_name = _("voided number range")
        verbose_name_plural = _("voided number ranges")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(first__gte=1, last__gte=models.F("first")),
                                              name="voidedrange_first_to_last")]

    def __str__(self):
        return f"{self.series}: {self.first}–{self.last}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Voided ranges are fiscal documents: never deleted.")


class SefazStatus(models.Model):
    """The last answer of a UF's authorizer to the status check (NFeStatusServico4)."""

    uf = models.CharField(_("UF"), max_length=2, choices=UF_CHOICES)
    environment = models.PositiveSmallIntegerField(_("environment"), choices=Environment.choices)
    up = models.BooleanField(_("in operation"), default=False)
    status_code = models.CharField(_("SEFAZ code"), max_length=3, blank=True)
    status_message = models.CharField(_("SEFAZ message"), max_length=255, blank=True)
    average_seconds = models.PositiveIntegerField(_("average answer time (s)"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        verbose_name = _("SEFAZ status")
        verbose_name_plural = _("SEFAZ status")
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["uf", "environment"], name="sefazstatus_unique")]

    def __str__(self):
        return f"{self.uf}: {self.status_code} {self.status_message}"


timeline_events({
    "invoice.signed": _("Signed with number %(number)s, key %(key)s."),
    "invoice.sent": _("Sent to SEFAZ."),
    "invoice.authorized": _("Authorized by SEFAZ: protocol %(protocol)s."),
    "invoice.rejected": _("Rejected by SEFAZ: %(code)s %(message)s"),
    "invoice.denied": _("Denied by SEFAZ: %(code)s %(message)s"),
    "invoice.cancelled": _("Cancelled: %(reason)s (protocol %(protocol)s)."),
    "invoice.voided": _("Number voided: %(reason)s (protocol %(protocol)s)."),
    "invoice.emailed": _("DANFE and XML e-mailed to %(email)s."),
    "invoice.created": _("Draft made."),
    "invoice.order_unchanged": _("The order was no longer ready to ship, so it was not marked invoiced: cancel this "
                                 "NF-e if the goods will not leave."),
    "invoice.corrected": _("Correction letter %(sequence)s registered (protocol %(protocol)s): %(text)s"),
    "invoice.cancel_refused": _("Cancellation refused by SEFAZ: %(code)s %(message)s"),
    "invoice.correction_refused": _("Correction letter %(sequence)s refused by SEFAZ: %(code)s %(message)s"),
    "fiscal.stuck": _("Sending to SEFAZ stopped the worker %(starts)s times: check it at SEFAZ by hand."),
    # On the order's timeline: its NF-e was cancelled while the order stays invoiced.
    "fiscal.order_nfe_cancelled": _("NF-e %(number)s cancelled: %(reason)s. Issue a new NF-e before the goods "
                                    "leave."),
    "invoiceevent.signed": _("Signed again."),
    "invoiceevent.registered": _("Registered by SEFAZ: protocol %(protocol)s."),
    "invoiceevent.rejected": _("Rejected by SEFAZ: %(code)s %(message)s"),
    "voidedrange.registered": _("Registered by SEFAZ: protocol %(protocol)s."),
    "voidedrange.rejected": _("Rejected by SEFAZ: %(code)s %(message)s"),
})

audit_actions({
    "invoice.cancel_requested": _("NF-e cancellation requested"),
    "invoice.correction_requested": _("Correction letter requested"),
    "voidedrange.requested": _("Voiding of NF-e numbers requested"),
    # The fiscal settings screens (fiscal.configuration).
    "fiscalprofile.create": _("Fiscal profile created"),
    "fiscalprofile.update": _("Fiscal profile changed"),
    "series.create": _("NF-e series created"),
    "series.update": _("NF-e series changed"),
    "taxrule.create": _("Tax rule created"),
    "taxrule.update": _("Tax rule changed"),
    "taxrule.activate": _("Tax rule switched on"),
    "taxrule.deactivate": _("Tax rule switched off"),
    "statetaxrate.create": _("State ICMS rate created"),
    "statetaxrate.update": _("State ICMS rate changed"),
})
