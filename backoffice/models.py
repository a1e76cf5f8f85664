"""The audit log, and the permissions that belong to the platform rather than to one model."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .timeline import EVENTS, StateMachine, choice_label, render, timeline_events


class AuditEvent(models.Model):
    """Who did what to which object, with the changed fields before and after. Append-only."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, null=True, blank=True
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(_("note"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.action} {self.object_repr}".strip()

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class TimelineEvent(models.Model):
    """One event in a document's timeline (an order, a payment, an import…): who, when, from
    which status to which, and what, as a code with its parameters — rendered in the reader's
    language when read (backoffice.states). Written by backoffice.states only."""

    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(_("object id"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    code = models.CharField(_("event"), max_length=64)
    params = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    from_status = models.CharField(_("from"), max_length=32, blank=True)
    to_status = models.CharField(_("to"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="timeline_of_document")]

    def __str__(self):
        return self.code

    @property
    def text(self) -> str:
        """What happened, in the active language ("" for a move that needs no more words
        than its statuses)."""
        if self.to_status and self.code not in EVENTS:
            return ""
        return render(self.code, self.params)

    def _status_label(self, value: str) -> str:
        model = self.content_type.model_class()
        return choice_label(model, model.states.field, value) if value and hasattr(model, "states") else value

    @property
    def from_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return self._status_label(self.to_status)


class Platform(models.Model):
    """Holds the permissions of screens that own no model (health, running jobs). No table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_health", _("Can see the health page")),
            ("run_job", _("Can run a scheduled job now")),
        ]


class ImportFile(models.Model):
    """An uploaded spreadsheet, kept as received before it is processed (and replayable).

    Processing validates every row first; one bad row means nothing is applied and the
    report lists each bad row with its errors.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("imported")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")  # not the file's fault: a bug, the time limit, a worker it stopped

    kind = models.CharField(_("kind"), max_length=50)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_applied = models.PositiveIntegerField(_("rows applied"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True, encoder=DjangoJSONEncoder)
    # The uploader's language when sending: the report (each row's problems) is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    # A waiting import ends once, one way or another (a new upload is a new import).
    states = StateMachine({Status.PENDING: {Status.DONE, Status.REJECTED, Status.FAILED}})

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.kind}: {self.original_name}"


timeline_events({
    "importfile.done": _("%(applied)d of %(total)d rows applied."),
    "importfile.rejected": _("Refused: the report says what to fix."),
    "importfile.failed": _("Could not be processed."),
})


class TaskDelivery(models.Model):
    """A task delivery that started and has not finished: the poison-task guard's counter
    (backoffice.queueing.GuardedTask). A row outlives its delivery only when the worker died."""

    key = models.CharField(_("key"), max_length=255, unique=True)  # the Celery task id, or the task's own key
    task_name = models.CharField(_("task"), max_length=200)
    starts = models.PositiveIntegerField(_("starts"), default=0)
    last_started_at = models.DateTimeField(_("last started"), auto_now=True)

    class Meta:
        verbose_name = _("task delivery")
        verbose_name_plural = _("task deliveries")
        ordering = ["-last_started_at"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.task_name} [{self.key}]"


class ApiToken(models.Model):
    """A key for a system that calls the JSON API (web store, ERP). Only its SHA-256 digest
    is stored; the key is shown once, when created."""

    name = models.CharField(_("name"), max_length=100)
    # The system it belongs to (a slug: "loja-virtual", "erp"). Orders are the integration's:
    # its tokens (a rotated key) share them, another integration's tokens never see them.
    integration = models.SlugField(_("integration"), max_length=50)
    # The sales channels (orders' Channel values, as plain strings) it may post orders for.
    channels = models.JSONField(_("channels"), default=list)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class SavedFilter(models.Model):
    """A user's named filter of a list screen (its path and query string)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=60)
    path = models.CharField(max_length=200)
    query = models.CharField(max_length=1000)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["user", "path", "name"], name="savedfilter_unique_name")]

    def __str__(self):
        return self.name


class SandboxDocument(models.Model):
    """A document of a provider's API as its sandbox plays it (backoffice.integrations.sandbox): a
    payment, an order, a capture… in the provider's own format, so the real client can fetch it."""

    provider = models.CharField(_("provider"), max_length=20)
    kind = models.CharField(_("kind"), max_length=30)
    key = models.CharField(_("key"), max_length=100)
    document = models.JSONField(_("document"))

    class Meta:
        verbose_name = _("sandbox document")
        verbose_name_plural = _("sandbox documents")
        constraints = [models.UniqueConstraint(fields=["provider", "kind", "key"], name="sandboxdocument_unique")]

    def __str__(self):
        return f"{self.provider} {self.kind} {self.key}"


class InboxEntry(models.Model):
    """A notification (a provider's or a carrier's webhook) exactly as it arrived, kept before anything
    is done with it: what every app's inbox (backoffice.integrations.inbox.Inbox) reads. A concrete
    inbox adds the foreign key to whose notifications they are."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("status", "received")  # "received" alone is the field's label
        PROCESSED = "processed", _("processed")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")
        IGNORED = "ignored", _("ignored")

    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    headers = models.JSONField(_("headers"), default=dict)
    query = models.CharField(_("query string"), max_length=2000, blank=True)
    # The whole body when the notification is authentic; a rejected one keeps only its first
    # bytes, its size and its hash (unsigned traffic must not fill the database).
    body = models.TextField(_("body"), blank=True)
    body_size = models.PositiveIntegerField(_("body size"), default=0)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    error = models.TextField(_("error"), blank=True)
    # What it is about, in the sender's ids (a payment's, a parcel's).
    resource_id = models.CharField(_("resource id"), max_length=100, blank=True, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    events = GenericRelation("backoffice.TimelineEvent")

    # Kept as received (or, refused, as rejected or ignored: ends there); processing ends it
    # processed or failed, and a failed one is retried or queued again by hand.
    states = StateMachine({
        Status.RECEIVED: {Status.PROCESSED, Status.FAILED},
        Status.FAILED: {Status.PROCESSED, Status.RECEIVED},
    })

    class Meta:
        abstract = True
        ordering = ["-received_at", "-pk"]
        default_permissions = ("view",)
