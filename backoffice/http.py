"""Request helpers shared by views and receivers."""

from django.contrib import messages


def client_ip(request):
    """The address the request came from (REMOTE_ADDR; a proxy in front must set it right)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def flash_form_errors(request, form):
    """The errors of a form posted from a page that does not show it, as one message."""
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
