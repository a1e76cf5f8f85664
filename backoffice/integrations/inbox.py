"""The webhook inbox every app's endpoints share: a notification checked by its provider's client
(`verify`, then `resource_id`) and kept before anything is done with it — a rejected one in short (its
first bytes, its size and hash) and, past a limit per account and per client address, not at all (429) —,
its processing queued once the transaction commits; a failed one kept with its reason, ready to replay;
the ones left waiting (the broker was down) caught up. An app declares its inbox once, over its inbox
model (the fields and the states of payments.models.WebhookEvent), and its endpoint answers through
`webhook_answer`."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from backoffice.http import client_ip, read_body
from backoffice.queueing import WAITING_TOO_LONG, catch_up, send_after_commit
from backoffice.states import TransitionRefused, transition
from backoffice.text import storable
from backoffice.throttle import over_limit

from .errors import ProviderError, WebhookIgnored, WebhookMalformed, WebhookRejected

KEPT_HEADERS = ("content-type", "user-agent")
# What a kept header value, and a kept query string (its column's size) or error, may hold:
# forged ones can be kilobytes long.
HEADER_CHARS, TEXT_CHARS = 1000, 2000


class WebhookThrottled(Exception):
    """Too many rejected notifications lately for the account or from the address (answered 429)."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many rejected notifications: retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Inbox:
    """An app's webhook inbox: its `model` (received → processed | failed, failed → received to replay;
    rejected and ignored kept as they are), the model's foreign key to whose notifications they are
    (`owner`: an account, a carrier), the processing task queued by name with a row's id (`task`), the
    settings of its limits (`settings_prefix`_REJECTED_LIMIT, …_REJECTED_WINDOW_SECONDS,
    …_REJECTED_BODY_BYTES), the cache keys of its rejection counts (`cache_prefix`) and the name its
    catch-up job runs its poison-task guard under (`catch_up_name`)."""

    model: type[models.Model]
    owner: str
    task: str
    settings_prefix: str
    cache_prefix: str
    catch_up_name: str

    def setting(self, name: str) -> int:
        return getattr(settings, f"{self.settings_prefix}_{name}")

    def rejection_counted(self, *, owner: models.Model, client: str | None) -> int:
        """Count one more rejected notification for `owner` and for the client address, per window: the
        seconds until the window ends when either is past the limit, else 0."""
        limit = self.setting("REJECTED_LIMIT")
        return over_limit([(f"{self.cache_prefix}:account:{owner.pk}", limit),
                           (f"{self.cache_prefix}:address:{client}", limit)],
                          window=self.setting("REJECTED_WINDOW_SECONDS"), what="webhook rejections")

    def receive(self, *, owner: models.Model, handler, headers: dict, query: dict, body: bytes,
                client: str | None = None, known=None) -> models.Model:
        """Check the notification is authentic (`handler`: the owner's provider client) and readable,
        and (`known(resource)`, when given) about something of ours, keep it and queue it. A rejected one
        is kept short (the first bytes of its body, its size and hash) and WebhookRejected /
        WebhookMalformed raised; past the limit of rejections for the owner or the `client` address,
        WebhookThrottled is raised and nothing kept. Authentic ones are never limited: they are verified
        before anything is refused."""
        status, error, resource, refusal, ours = self.model.Status.RECEIVED, "", "", None, True
        try:
            handler.verify(owner, headers=headers, query=query, body=body)
            resource = handler.resource_id(query=query, body=body)
            ours = known is None or known(resource)
            if not ours:
                raise WebhookMalformed(f"{resource}: not ours")
        except (WebhookRejected, WebhookMalformed) as exc:
            status, error, refusal = self.model.Status.REJECTED, str(exc), exc
        except WebhookIgnored as exc:
            status, error = self.model.Status.IGNORED, str(exc)
        # An authentic one about something not ours (yet) is refused, not limited.
        if refusal is not None and ours and (wait := self.rejection_counted(owner=owner, client=client)):
            raise WebhookThrottled(wait) from refusal
        kept = KEPT_HEADERS + handler.signature_headers
        text = body if refusal is None else body[:self.setting("REJECTED_BODY_BYTES")]
        event = self.model.objects.create(
            **{self.owner: owner}, status=status, error=storable(error, TEXT_CHARS), resource_id=resource,
            headers={k: storable(v, HEADER_CHARS) for k, v in headers.items() if k.lower() in kept},
            query=storable("&".join(f"{k}={v}" for k, v in query.items()), TEXT_CHARS),
            body=storable(text.decode("utf-8", errors="replace")), body_size=len(body),
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        if refusal is not None:
            raise refusal
        if status == self.model.Status.RECEIVED:
            send_after_commit(self.task, event.pk)
        return event

    def processed(self, event: models.Model) -> None:
        """The notification applied: processed, its error (of an earlier attempt) cleared."""
        transition(event, self.model.Status.PROCESSED, changes={"error": "", "processed_at": timezone.now()})

    def failed(self, event: models.Model, error: str, *, code: str = "", params: dict) -> None:
        """Keep the notification failed with `error` (the latest one, when it failed already)."""
        try:
            moved = transition(event, self.model.Status.FAILED, code=code, params=params,
                               changes={"error": storable(error, TEXT_CHARS)})
        except TransitionRefused:  # processed meanwhile by another delivery: this failure no longer matters
            return
        if not moved:
            self.model.objects.filter(pk=event.pk, status=self.model.Status.FAILED).update(
                error=storable(error, TEXT_CHARS))

    def stopped_the_worker(self, *, event_id: int, starts: int) -> None:
        """The poison-task guard's verdict on a notification whose processing never finished: kept
        failed, ready to replay once the cause is fixed (a processed one is left as it is)."""
        event = self.model.objects.get(pk=event_id)
        if event.status in (self.model.Status.RECEIVED, self.model.Status.FAILED):
            self.failed(event, f"processing stopped the worker {starts} times",
                        code=f"{self.model._meta.model_name}.poisoned", params={"starts": starts})

    def catch_up(self, *, process, limit: int = 500) -> int:
        """Process (`process(pk)`) the notifications left waiting (stored while the broker was down);
        how many. Each under a poison-task guard of its own (not its task's, which counts each delivery:
        a provider's repeats may run at once); a provider's refusal or a concurrent failure leaves it
        failed with its reason, ready to replay, as its task would; one that fails unexpectedly is
        logged and the next one is processed."""

        def kept(pk):
            try:
                process(pk)
            except (ProviderError, TransitionRefused):
                pass

        waiting = self.model.objects.filter(status=self.model.Status.RECEIVED,
                                            received_at__lt=timezone.now() - WAITING_TOO_LONG).exclude(resource_id="")
        return catch_up(list(waiting.order_by("pk").values_list("pk", flat=True)[:limit]), name=self.catch_up_name,
                        key=lambda pk: f"{self.catch_up_name}:{pk}", process=kept,
                        poisoned=lambda pk, starts: self.stopped_the_worker(event_id=pk, starts=starts))

    def replay(self, *, event: models.Model, user) -> None:
        """Queue a failed notification again (TransitionRefused when it is not failed)."""
        with transaction.atomic():
            if transition(event, self.model.Status.RECEIVED, actor=user):
                send_after_commit(self.task, event.pk)


def webhook_answer(request, receive) -> HttpResponse:
    """A provider's notification answered as every endpoint answers one: its body read no further than
    DATA_UPLOAD_MAX_MEMORY_SIZE (413 past it), kept by `receive(headers=…, query=…, body=…, client=…)`
    (an Inbox's receive, its owner given), and the answer says accepted (200) or why not — 401 (the
    provider's authentication), 400 (unreadable), 429 (too many rejected lately) —, nothing more."""
    body, too_large = read_body(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if too_large:
        return JsonResponse({"error": "body too large"}, status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        receive(headers=headers, query=request.GET.dict(), body=body, client=client_ip(request))
    except WebhookThrottled as exc:
        return JsonResponse({"error": "too many rejected notifications"}, status=429,
                            headers={"Retry-After": str(exc.retry_after)})
    except WebhookRejected:
        return JsonResponse({"error": "signature"}, status=401)
    except WebhookMalformed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(status=200)
