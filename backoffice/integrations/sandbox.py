"""Sandboxes: an external system's API played by the app itself, in the system's documented format,
over documents kept in plain dicts (tests) or in the database (SandboxDocument, the app's sandbox
mode), and the notifications it would send — so the real client runs against it unchanged."""

import json
import time
from collections.abc import MutableMapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from backoffice.models import SandboxDocument


@dataclass
class Notification:
    """A provider's webhook delivery: to the endpoint (with its query string), as sent."""

    path: str
    headers: dict
    body: bytes


@dataclass(frozen=True)
class Dropped:
    """An answer the network loses after the sandbox processed the call: the connection is closed
    without an answer after `delay` seconds (tests/fake_server.py; the app's sandbox view, which cannot
    close it, answers 502 with no body after the delay). What a client sees of a timeout or a drop."""

    delay: float = 0.0


Answer = dict | list | str | bytes | Dropped  # what a sandbox answers a call with


class SandboxAPI:
    """A provider's API: `handle(method, path, headers, body) -> (status, document)` over the
    documents in its `kinds` (each a mapping: plain dicts in tests, SandboxDocument rows in
    the app — code that changes a document stores it again). A document is sent as JSON, a
    string as a CSV file, bytes as an XML (SOAP) document (`encoded`); a `Dropped` document is
    never delivered."""

    provider: str
    kinds: tuple[str, ...] = ()

    def __init__(self, documents=lambda kind: {}, token: str | None = None):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.token = token
        for kind in self.kinds:
            setattr(self, kind, documents(kind))

    def handle(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, Answer]:
        headers = {key.lower(): value for key, value in headers.items()}
        self.requests.append((method, path, headers, body))
        return self.respond(method, path, headers, body)

    def respond(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, Answer]:
        raise NotImplementedError

    def bearer_ok(self, headers: dict) -> bool:
        """`Authorization: Bearer <token>` with `token`, or, given none, with a token `token_known` accepts."""
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not token or self.token is not None:
            return bool(token) and token == self.token
        return self.token_known(token)

    def token_known(self, token: str) -> bool:
        """Whether `token` is one of the store's active accounts' (the app's sandbox mode, where the
        sandbox is given no token): each app answers from its own accounts."""
        return False


def encoded(document: dict | list | str | bytes) -> tuple[str, bytes]:
    """A sandbox answer's content type and body: a string is a CSV file, bytes a SOAP 1.2 (XML)
    document, anything else JSON."""
    if isinstance(document, bytes):
        return "application/soap+xml; charset=utf-8", document
    if isinstance(document, str):
        return "text/csv; charset=utf-8", document.encode()
    return "application/json", json.dumps(document).encode()


def api_view(registry, *, setting: str):
    """The view answering the APIs of `registry`'s sandboxes as their clients call them
    (`<provider>/<path>`, the query string included), 404 unless `settings.<setting>` (sandbox
    mode) is on. Public like the systems' own APIs; a sandbox checks what credentials they would."""

    @csrf_exempt
    @login_not_required
    def api(request, provider, path):
        if not getattr(settings, setting) or provider not in registry.sandboxed():
            raise Http404("no such sandbox")
        query = request.META.get("QUERY_STRING")
        full_path = f"/{path}" + (f"?{query}" if query else "")
        status, document = registry.sandbox(provider).handle(request.method, full_path, dict(request.headers),
                                                             request.body)
        if isinstance(document, Dropped):
            time.sleep(document.delay)
            return HttpResponse(status=502)
        content_type, payload = encoded(document)
        return HttpResponse(payload, status=status, content_type=content_type)

    api.provider_signed = True  # (the URL walk test expects 401/404 from such endpoints)
    return api


class StoredDocuments(MutableMapping):
    """One kind of a provider's sandbox documents, kept in the database."""

    def __init__(self, provider: str, kind: str):
        self.provider, self.kind = provider, kind
        self.rows = SandboxDocument.objects.filter(provider=provider, kind=kind)

    def __getitem__(self, key):
        document = self.rows.filter(key=key).values_list("document", flat=True).first()
        if document is None:
            raise KeyError(key)
        return document

    def __setitem__(self, key, document):
        SandboxDocument.objects.update_or_create(provider=self.provider, kind=self.kind, key=key,
                                                 defaults={"document": document})

    def __delitem__(self, key):
        self.rows.filter(key=key).delete()

    def __iter__(self):
        return iter(list(self.rows.order_by("pk").values_list("key", flat=True)))

    def __len__(self):
        return self.rows.count()
