"""Request helpers shared by views and receivers."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request):
    """The address the request came from (REMOTE_ADDR; a proxy in front must set it right)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def flash_form_errors(request, form):
    """The errors of a form posted from a page that does not show it, as one message."""
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))


def redirect_back(request, fallback, *args, **kwargs):
    """To the page the form's `next` names when it is on this site, else to `fallback`."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect(fallback, *args, **kwargs)


def read_body(request, limit: int) -> tuple[bytes, bool]:
    """The request body, read no further than `limit` bytes, and whether it was longer (as
    declared in Content-Length or as sent)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    body = request.read(limit + 1)
    return body[:limit], declared > limit or len(body) > limit
