"""The store website's tracking endpoint (public: no login, no cookie, no CSRF token). Its script,
static/analytics/track.js, sends each event of an anonymous session — page view, product view, add to
cart, checkout start — with navigator.sendBeacon; one event or a small batch is checked strictly and
stored as SiteEvents, or refused with a 4xx and nothing stored: a body past its limit (read no
further), anything but the expected JSON, a bot's or a missing user agent, an origin the store did not
list, and from an address past its limit of requests per window, anything (429). What is kept is what
SiteEvent holds: a page's path without its query string (which may carry an e-mail), the referring
host without the rest of its URL, never the client's address or user agent."""

import json
import re
from urllib.parse import urlsplit

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from backoffice.http import client_ip, read_body
from backoffice.throttle import over_limit

from .models import SiteEvent
from .rollups import day_of, mark_stale
from .site import SITE

MAX_EVENTS = 20
CONTENT_TYPES = ("text/plain", "application/json")  # sendBeacon's text/plain needs no CORS preflight
FIELDS = {"kind", "session", "path", "sku", "referrer"}
KINDS = set(SiteEvent.Kind.values)
PATH_CHARS, SKU_CHARS, HOST_CHARS = (SiteEvent._meta.get_field(name).max_length
                                     for name in ("path", "sku", "referrer"))
SESSION = re.compile(r"[A-Za-z0-9_-]{16,32}")
HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A browser's user agent is a few hundred characters, and the time the bot patterns take grows
# faster than the length: a longer one is refused unread.
USER_AGENT_CHARS = 512
# JayBizzle's Crawler-Detect patterns (crawlers, spiders, headless browsers, HTTP libraries, uptime
# checkers …), compiled once per process.
BOTS = CrawlerDetect()


class Refused(Exception):
    """A request whose events are not stored: the status it is answered with and why, in short."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.status = status


@csrf_exempt
@login_not_required
@never_cache
@require_POST
def collect(request):
    """The events of a page of the store's website: stored, answered 204 with nothing in it; or
    refused (400, 403, 413, 415, 429) with a short reason in plain text, nothing stored. Every request
    counts towards its address's limit, refused ones too."""
    if wait := over_limit([(f"analytics:collect:address:{client_ip(request)}",
                            settings.ANALYTICS_COLLECT_PER_ADDRESS)],
                          window=settings.ANALYTICS_COLLECT_WINDOW_SECONDS, what="site events"):
        response = _refusal(Refused("too many requests", 429))
        response["Retry-After"] = str(wait)
        return response
    origin, allowed = request.headers.get("Origin", ""), settings.ANALYTICS_SITE_ORIGINS
    try:
        if allowed and _origin(origin) not in {_origin(each) for each in allowed}:
            raise Refused("origin not allowed", 403)
        _check_user_agent(request.headers.get("User-Agent", ""))
        events = _events(request)
    except Refused as refused:
        return _refusal(refused)
    with transaction.atomic():
        SiteEvent.objects.bulk_create(events)
        # bulk_create sends no post_save: the day's figures are marked to recompute here.
        mark_stale((SITE.name, day_of(event.at)) for event in events)
    response = HttpResponse(status=204)
    if origin:  # allowed: what the script's fetch() fallback needs to read the answer (sendBeacon needs nothing)
        response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ("Origin",))
    return response


def _refusal(refused: Refused) -> HttpResponse:
    return HttpResponse(str(refused), status=refused.status, content_type="text/plain; charset=utf-8")


def _origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def _check_user_agent(agent: str) -> None:
    agent = agent.strip()
    if not agent or len(agent) > USER_AGENT_CHARS or BOTS.is_crawler(agent):
        raise Refused("automated clients are not counted", 403)


def _events(request) -> list[SiteEvent]:
    """The request's events as they will be stored, all of them valid (else Refused)."""
    if request.content_type not in CONTENT_TYPES:
        raise Refused("send text/plain or application/json", 415)
    body, too_large = read_body(request, settings.ANALYTICS_COLLECT_MAX_BYTES)
    if too_large:
        raise Refused("body too large", 413)
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested past Python's stack
        raise Refused("not JSON") from None
    received = data if isinstance(data, list) else [data]
    if not 0 < len(received) <= MAX_EVENTS:
        raise Refused(f"send 1 to {MAX_EVENTS} events")
    at = timezone.now()  # the server's clock: a browser's may be anything
    return [_event(each, at) for each in received]


def _event(data, at) -> SiteEvent:
    if not isinstance(data, dict):
        raise Refused("an event is a JSON object")
    if data.keys() - FIELDS:
        raise Refused("unknown field")
    kind, session, path = (_text(data, name) for name in ("kind", "session", "path"))
    sku, referrer = (_text(data, name, required=False) for name in ("sku", "referrer"))
    if kind not in KINDS:
        raise Refused("unknown kind")
    if not SESSION.fullmatch(session):
        raise Refused("bad session")
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    if not path.startswith("/") or len(path) > PATH_CHARS:
        raise Refused("bad path")
    if len(sku) > SKU_CHARS:
        raise Refused("bad sku")
    return SiteEvent(session=session, kind=kind, path=path, sku=sku, referrer=_host(referrer), at=at)


def _text(data: dict, name: str, *, required: bool = True) -> str:
    """The event's field `name`: a string without control characters that UTF-8 can encode (JSON's
    \\u0000 and lone surrogates would not be stored)."""
    value = data.get(name, None if required else "")
    if not isinstance(value, str) or CONTROL.search(value):
        raise Refused(f"bad {name}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused(f"bad {name}") from None
    return value


def _host(referrer: str) -> str:
    """The host of a referring URL (or a host sent as it is), lowercased: never its path or query."""
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    except ValueError:  # an unclosed [IPv6] host
        raise Refused("bad referrer") from None
    if not HOST.fullmatch(host) or len(host) > HOST_CHARS:
        raise Refused("bad referrer")
    return host
