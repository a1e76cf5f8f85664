"""The JSON API's authentication: `Authorization: Token <key>` checked against ApiToken."""

import hashlib
import secrets
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .models import ApiToken
from .services import audit_record


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, name: str, user=None) -> tuple[ApiToken, str]:
    """A new token and its key (shown once: only the digest is kept)."""
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(name=name, prefix=key[:8], digest=_digest(key), created_by=user)
        audit_record(actor=user, action="api_token.create", obj=token)
    return token, key


def api_error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def api_view(view):
    """For machine-to-machine endpoints: no session, no CSRF; a valid, unrevoked token or 401.
    The view gets `request.api_token`."""

    @csrf_exempt
    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
        token = None
        if scheme.lower() == "token" and key:
            token = ApiToken.objects.filter(digest=_digest(key.strip()), revoked_at__isnull=True).first()
        if token is None:
            response = api_error(401, _("A valid API token is required: Authorization: Token <key>."))
            response["WWW-Authenticate"] = "Token"
            return response
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request.api_token = token
        return view(request, *args, **kwargs)

    wrapped.api_token_required = True
    return wrapped
