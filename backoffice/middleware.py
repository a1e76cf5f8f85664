"""Project middleware: the /healthz probe, no caching of pages, the login requirement, the UI language,
the messages of an HTMX fragment."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.messages import get_messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django_htmx.http import HttpResponseClientRedirect


class HealthzMiddleware:
    """`/healthz` for load balancers: 200 when this web process reaches its database, else
    503, and nothing else (405 to a method other than GET and HEAD). Answered first, so that
    probes by IP address pass whatever ALLOWED_HOSTS says and plain HTTP is not redirected to HTTPS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz":
            return self.get_response(request)
        from .selectors import database_ok

        if request.method not in ("GET", "HEAD"):
            response = HttpResponseNotAllowed(["GET", "HEAD"])
        else:
            ok = database_ok()
            response = HttpResponse("ok" if ok else "unavailable", status=200 if ok else 503, content_type="text/plain")
        add_never_cache_headers(response)
        return response


class NoStoreMiddleware(MiddlewareMixin):
    """`Cache-Control: private, no-store` on every page and API answer: they show customers'
    and staff's data, which neither a shared proxy nor the browser's disk may keep (a logged-out
    user's pages would come back with the Back button). Static files are served before this
    runs, by whitenoise, with their own long-lived headers."""

    def process_response(self, request, response):
        patch_cache_control(response, private=True, no_store=True)
        return response


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's, but an HTMX request whose session expired sends the whole page to login
    instead of swapping the login form into a fragment."""

    def handle_no_permission(self, request, view_func):
        response = super().handle_no_permission(request, view_func)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(response["Location"])
        return response


class LanguageMiddleware(MiddlewareMixin):
    """The UI language: pt-BR unless the user chose another one (the language cookie set by
    Django's set_language view). The browser's Accept-Language is not consulted: a store's
    staff share machines and browsers, and the store works in Portuguese."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class HtmxMessagesMiddleware(MiddlewareMixin):
    """The layout is the one place that shows messages (partials/messages.html). An HTMX answer is
    a fragment without the layout: the messages its request left go along with it, swapped out of
    band into the layout's place. A page, or a fragment that redirects the browser, leaves them to
    the page that shows them. Below MessageMiddleware, so it runs first on the way out."""

    REDIRECTS = ("HX-Redirect", "HX-Location", "HX-Refresh")

    def process_response(self, request, response):
        htmx = getattr(request, "htmx", False)
        if (not htmx or htmx.boosted or response.streaming or response.status_code != 200
                or not response.get("Content-Type", "").startswith("text/html")
                or any(header in response for header in self.REDIRECTS)):
            return response
        storage = get_messages(request)
        if storage.used or not len(storage):  # already shown by the fragment, or none
            return response
        response.content += render_to_string("partials/messages.html", {"messages": storage, "oob": True},
                                             request=request).encode(response.charset)
        return response
