"""Request helpers shared by views and receivers."""


def client_ip(request):
    """The address the request came from (REMOTE_ADDR; a proxy in front must set it right)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None
