"""Payment screens and the providers' webhook endpoints."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import ProviderAccount
from .providers import WebhookMalformed, WebhookRejected


@csrf_exempt
@login_not_required
@require_POST
def webhook(request, provider, account_id):
    """A provider's notification: authenticated the provider's way, stored, answered fast,
    processed by a task. The answer says nothing beyond accepted or why not."""
    account = get_object_or_404(ProviderAccount, pk=account_id, provider=provider, active=True)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        services.webhook_receive(account=account, headers=headers, query=request.GET.dict(), body=request.body)
    except WebhookRejected:
        return JsonResponse({"error": "signature"}, status=401)
    except WebhookMalformed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(status=200)


# The URL walk test checks that this endpoint is reachable without a session and never answers 2xx
# to a request that the provider did not sign.
webhook.provider_signed = True
