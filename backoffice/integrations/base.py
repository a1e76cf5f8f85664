"""The base of an external system's client, and the small readers every client's webhooks and
documents use."""

import hmac
import json
from datetime import UTC, datetime

from .credentials import CredentialField
from .errors import WebhookMalformed, WebhookRejected


class Provider:
    """An external system's client, listed by its app's Registry under `code`. Its webhooks:
    `verify` authenticates a notification, `resource_id` names what it is about; an app's own
    base (e.g. payments' PaymentProvider) adds the calls its domain makes."""

    code: str
    # Request headers that carry the provider's authentication, kept in the webhook inbox.
    signature_headers: tuple[str, ...] = ()
    # What an account needs (an EncryptedJSONField of the account's model holds them).
    credentials: tuple[CredentialField, ...] = ()

    def verify(self, account, *, headers: dict, query: dict, body: bytes) -> None:
        """Raise WebhookRejected unless the notification is authentic."""
        raise NotImplementedError

    def resource_id(self, *, query: dict, body: bytes) -> str:
        """The id of what the notification is about: WebhookMalformed when it cannot be read,
        WebhookIgnored when it is about something not tracked (another event type)."""
        raise NotImplementedError


def when(value: str | None) -> datetime | None:
    """A provider's ISO 8601 time ("…Z" or with an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def same_digest(expected: str, received: str) -> bool:
    """Whether a header's digest is the expected one, in constant time (as bytes: a header can
    hold any character, and compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), received.encode("utf-8", "replace"))


def within_tolerance(moment: datetime, what: str, *, seconds: float) -> None:
    """WebhookRejected unless the signed `moment` is within `seconds` of now, either way: a
    captured notification cannot be replayed later, nor one dated ahead."""
    drift = abs((datetime.now(UTC) - moment).total_seconds())
    if drift > seconds:
        raise WebhookRejected(f"{what} is {drift:.0f} s away from now")


def json_object(body: bytes) -> dict:
    """A notification's body as a JSON object, or WebhookMalformed."""
    try:
        document = json.loads(body or b"{}")
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; RecursionError: deep nesting
        raise WebhookMalformed("the body is not JSON") from exc
    if not isinstance(document, dict):
        raise WebhookMalformed("the body is not a JSON object")
    return document
