"""The rollups' facts (one row per rollup, measure, day or hour, and value of its dimensions), the
days waiting to be recomputed, the store website's anonymous access events, and the goals."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.audit import audit_actions

VALUE = {"max_digits": 18, "decimal_places": 2}


class Fact(models.Model):
    """What a rollup's measure adds up to over its rows of one day, for one value of each of its
    dimensions (d1, d2, d3 in the rollup's order, "" where it has fewer). Rows whose value is zero
    are not kept."""

    rollup = models.CharField(max_length=60)
    measure = models.CharField(max_length=40)
    day = models.DateField()
    d1 = models.CharField(max_length=60, default="", blank=True)
    d2 = models.CharField(max_length=60, default="", blank=True)
    d3 = models.CharField(max_length=60, default="", blank=True)
    value = models.DecimalField(**VALUE)

    class Meta:
        abstract = True


class DayFact(Fact):
    class Meta:
        default_permissions = ()
        permissions = [("view_dashboard", _("Can see the dashboards"))]
        constraints = [models.UniqueConstraint(fields=["rollup", "measure", "day", "d1", "d2", "d3"],
                                               name="dayfact_unique")]


class HourFact(Fact):
    """The same by São Paulo's hour, kept for the last days only (analytics.rollups.HOURLY_DAYS):
    today against yesterday at the same hour."""

    hour = models.PositiveSmallIntegerField()

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["rollup", "measure", "day", "hour", "d1", "d2", "d3"],
                                               name="hourfact_unique")]


class StaleDay(models.Model):
    """A day of a rollup whose rows changed since its facts were computed: one row per change, written
    in the transaction that made it. Inserted only, never updated: the transactions of a busy day do
    not wait for each other on a row of theirs (analytics.rollups)."""

    rollup = models.CharField(max_length=60)
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["rollup", "day"], name="staleday_rollup_day")]


class SiteEvent(models.Model):
    """One anonymous event of the store's website, as its tracking script sends it: no IP address,
    no user agent, nothing that names a person."""

    class Kind(models.TextChoices):
        PAGE_VIEW = "page_view", _("page view")
        PRODUCT_VIEW = "product_view", _("product view")
        ADD_TO_CART = "add_to_cart", _("add to cart")
        CHECKOUT_START = "checkout_start", _("checkout start")

    session = models.CharField(_("session"), max_length=32)  # the script's random id, per browser tab session
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    path = models.CharField(_("page"), max_length=300)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    referrer = models.CharField(_("came from"), max_length=100, blank=True)  # the referring host only
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("site event")
        verbose_name_plural = _("site events")
        ordering = ["-at", "-pk"]


class Goal(models.Model):
    """A target a manager sets on a registered metric (backoffice.metrics) for a period: at least
    (or at most) so much, for the whole store or one value of a dimension (a channel, a UF)."""

    class Kind(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        CUSTOM = "custom", _("chosen days")

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", _("at least")
        AT_MOST = "at_most", _("at most")

    name = models.CharField(_("name"), max_length=100, blank=True)
    metric = models.CharField(_("metric"), max_length=60)
    kind = models.CharField(_("period"), max_length=10, choices=Kind.choices, default=Kind.MONTH)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST)
    target = models.DecimalField(_("target"), **VALUE)
    dimension = models.CharField(_("only for"), max_length=20, blank=True)  # a dimension's name
    dimension_value = models.CharField(_("value"), max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["-end", "metric", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="goal_ends_after_start"),
            models.CheckConstraint(condition=models.Q(target__gte=0), name="goal_target_not_negative"),
            models.CheckConstraint(condition=models.Q(dimension="") | ~models.Q(dimension_value=""),
                                   name="goal_dimension_has_value"),
        ]

    def __str__(self):
        return self.name or f"{self.metric} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"

    @property
    def where(self) -> dict:
        return {self.dimension: self.dimension_value} if self.dimension else {}


class GoalDigest(models.Model):
    """The weekly e-mail of the goals to the managers, once per week (its Monday)."""

    week = models.DateField(unique=True)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()


audit_actions({
    "goal.saved": _("Goal saved"),
    "goal.deleted": _("Goal deleted"),
})


class ScheduledReport(models.Model):
    """The dashboards' figures, or a list screen's spreadsheet with its filters, e-mailed as an XLSX
    to a few addresses every day, week or month at an hour of São Paulo's. It runs with the
    permissions of its owner (`created_by`); analytics.reports produces and sends it."""

    class Kind(models.TextChoices):
        DASHBOARD = "dashboard", _("dashboards' figures")
        LIST = "list", _("a list's spreadsheet")

    class Preset(models.TextChoices):
        """The period of the dashboards' figures, from the day of the run."""

        YESTERDAY = "yesterday", _("Yesterday")
        LAST_7 = "7d", _("Last 7 days")
        LAST_30 = "30d", _("Last 30 days")
        MONTH = "month", _("This month")
        LAST_MONTH = "last_month", _("Last month")

    class Frequency(models.TextChoices):
        DAILY = "daily", _("every day")
        WEEKLY = "weekly", _("every week")
        MONTHLY = "monthly", _("every month")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices, default=Kind.DASHBOARD)
    # A list: the path and query of its screen (/orders/?status=delivered), as analytics.reports cleans it.
    address = models.CharField(_("list address"), max_length=1000, blank=True)
    # The dashboards: the period and the filters of their form (backoffice.metrics' dimension values).
    period = models.CharField(_("period"), max_length=10, choices=Preset.choices, default=Preset.LAST_7)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    uf = models.CharField(_("UF"), max_length=2, blank=True)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)  # Monday 0, as date.weekday()
    day = models.PositiveSmallIntegerField(_("day of the month"), default=1)  # up to 28: every month has it
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)  # São Paulo's
    recipients = models.JSONField(_("recipients"), default=list)  # normalised e-mail addresses
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT,
                                   related_name="+")
    active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["active", "next_run_at"], name="scheduledreport_due")]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="scheduledreport_weekday"),
            models.CheckConstraint(condition=models.Q(day__gte=1, day__lte=28), name="scheduledreport_day"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="scheduledreport_hour"),
            models.CheckConstraint(condition=~models.Q(kind="list") | ~models.Q(address=""),
                                   name="scheduledreport_list_has_address"),
        ]

    def __str__(self):
        return self.name

    @property
    def where(self) -> dict:
        """The dashboards' filters ({"channel": "web"}), as analytics.dashboard reads them."""
        return {name: getattr(self, name) for name in ("channel", "uf") if getattr(self, name)}

    @property
    def last_outcome_label(self) -> str:
        """The outcome of its last run, read from `last_outcome` (annotated by the reports' list)."""
        return ReportRun.Outcome(self.last_outcome).label if getattr(self, "last_outcome", None) else ""


class ReportRun(models.Model):
    """One run of a scheduled report, for one of its slots (`due_at`): sent, or failed with the
    reason. One per slot: the same slot run twice sends once."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    report = models.ForeignKey(ScheduledReport, verbose_name=_("report"), on_delete=models.CASCADE,
                               related_name="runs")
    due_at = models.DateTimeField(_("for"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    outcome = models.CharField(_("result"), max_length=10, choices=Outcome.choices)
    error = models.TextField(_("why"), blank=True)  # in the store's language, as the run found it
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    size = models.PositiveIntegerField(_("file size"), default=0)  # bytes
    rows = models.PositiveIntegerField(_("rows"), default=0)  # of the workbook's first sheet

    class Meta:
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        ordering = ["-due_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["report", "due_at"], name="reportrun_once_per_slot")]

    def __str__(self):
        return f"{self.report} {timezone.localtime(self.due_at):%d/%m/%Y %H:%M}"


audit_actions({
    "scheduled_report.created": _("Scheduled report created"),
    "scheduled_report.changed": _("Scheduled report changed"),
    "scheduled_report.deleted": _("Scheduled report deleted"),
})
