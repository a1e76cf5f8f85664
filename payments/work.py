"""What waits for finance, counted for the home page (backoffice.worklist): the provider
notifications that failed, the receivables past their day, the payments registered by hand that
wait for someone else's approval."""

from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.worklist import WorkCount

from .filters import past_due
from .models import Payment, Receivable, WebhookEvent


def webhook_work() -> list[WorkCount]:
    status = WebhookEvent.Status.FAILED
    count = WebhookEvent.objects.filter(status=status).count()
    return [WorkCount(_("Webhooks failed"), count, f"{reverse('payments:webhook_list')}?status={status.value}",
                      "danger")]


def receivable_work() -> list[WorkCount]:
    """The receivables still expected after their day: the provider has not released them (or the
    settle job did not run)."""
    count = Receivable.objects.filter(past_due()).count()
    return [WorkCount(_("Receivables overdue"), count, f"{reverse('payments:receivable_calendar')}?overdue=true",
                      "danger")]


def approval_work() -> list[WorkCount]:
    """The payments registered by hand that stay pending until someone other than their recorder
    approves them (the only money in the code that waits for a second person)."""
    status = Payment.Status.PENDING
    count = Payment.objects.filter(provider="manual", status=status).count()
    return [WorkCount(_("Payments awaiting approval"), count,
                      f"{reverse('payments:payment_list')}?provider=manual&status={status.value}",
                      detail=_("Registered by hand above what is due: someone else approves them"))]
