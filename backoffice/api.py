"""The JSON API's kit: `Authorization: Token <key>` checked against ApiToken (an integration
and the channels it may post for), bodies read within a bound, every refusal in JSON."""

import hashlib
import secrets
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .audit import audit_record
from .models import ApiToken


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# The channels a token may be given, {value: label}: the orders app registers its own
# (backoffice may not import it).
API_CHANNELS: dict[str, str] = {}


def register_api_channels(choices):
    API_CHANNELS.update(choices)


def api_channels_clean(channels) -> list[str]:
    """The channels, deduplicated, each one of API_CHANNELS; at least one."""
    unknown = sorted(set(channels) - set(API_CHANNELS))
    if unknown:
        raise ValidationError(_("Unknown channel(s): %(unknown)s. Choose among: %(known)s.")
                              % {"unknown": ", ".join(unknown), "known": ", ".join(API_CHANNELS)})
    if not channels:
        raise ValidationError(_("Give the token at least one channel."))
    return sorted(set(channels))


def api_token_create(*, name: str, integration: str, channels: list[str], user=None) -> tuple[ApiToken, str]:
    """A new token of an integration, for its channels, and its key (shown once: only the
    digest is kept)."""
    integration = ApiToken._meta.get_field("integration").clean(integration, None)  # a slug, not too long
    channels = api_channels_clean(channels)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(name=name, integration=integration, channels=channels, prefix=key[:8],
                                        digest=_digest(key), created_by=user)
        audit_record(actor=user, action="api_token.create", obj=token)
    return token, key


def api_error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


# Far above any real order (200 items are a few tens of KiB); the rest is not read.
MAX_BODY = 1024 * 1024


def api_view(*methods):
    """For machine-to-machine endpoints taking `methods`: no session, no CSRF; a valid,
    unrevoked token or 401; every refusal in JSON. The view gets `request.api_token`."""

    def decorator(view):
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
            if request.method not in methods:
                response = api_error(405, _("Use %(methods)s.") % {"methods": ", ".join(methods)})
                response["Allow"] = ", ".join(methods)
                return response
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            request.api_token = token
            return view(request, *args, **kwargs)

        wrapped.api_token_required = True
        return wrapped

    return decorator
