"""The errors an external system's client raises, and the webhook endpoints answer by."""


class WebhookRejected(Exception):
    """The notification failed the provider's authentication (answered 401)."""


class WebhookMalformed(Exception):
    """The notification cannot be read (answered 400)."""


class WebhookIgnored(Exception):
    """An authentic notification about something we do not track (answered 200, kept as ignored)."""


class ProviderError(Exception):
    """The provider's API failed or answered something unusable (processing is retried). `status`
    is the HTTP status of the answer that failed, None when there was none."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class ReportPending(ProviderError):
    """The provider is still preparing the report asked for: ask again in a few minutes."""
