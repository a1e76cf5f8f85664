"""The fiscal side's e-mails, in the store's language: the customer's DANFE and XML once SEFAZ
authorized the invoice, the accountant's monthly archive of XML files, and the warning to finance
that the A1 certificate expires (30 days ahead, and once it has). Each is sent once: what was sent is
kept on the invoice or the profile, so a task retried sends nothing the second time."""

import tempfile
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.states import record

from .books import Period
from .certificates import EXPIRY_WARNING
from .danfe import danfe_filename, danfe_pdf, printed_key
from .exports import archive_filename, write_archive
from .models import FiscalProfile, Invoice

# Above this the accountant's e-mail carries a link to the archive instead (mail servers refuse
# messages of about 20 MB and more, and base64 adds a third).
ATTACHMENT_LIMIT = 10 * 1024 * 1024
# Who is warned that the certificate expires: the roles that renew it.
CERTIFICATE_ROLES = ("finance", "admin")


def _message(template: str, context: dict, *, to: list[str]) -> EmailMessage:
    """The e-mail of `fiscal/email/<template>.txt` and its `_subject.txt`, in the store's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"fiscal/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"fiscal/email/{template}.txt", context)
    return EmailMessage(subject=subject, body=body, to=to)


def _profile():
    return FiscalProfile.objects.select_for_update(of=("self",)).select_related("city").filter(pk=1).first()


def invoice_email(invoice: Invoice) -> bool:
    """E-mail the recipient an authorized invoice's DANFE (PDF) and XML (nfeProc), once; False,
    and nothing sent, when it was already, when the invoice has no recipient e-mail or is not
    (or no longer) authorized."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("order").get(pk=invoice.pk)
        if invoice.emailed_at or not invoice.recipient_email or invoice.status != Invoice.Status.AUTHORIZED:
            return False
        context = {"invoice": invoice, "key": printed_key(invoice.key),
                   "store": FiscalProfile.objects.filter(pk=1).first()}
        message = _message("invoice", context, to=[invoice.recipient_email])
        message.attach(danfe_filename(invoice), danfe_pdf(invoice), "application/pdf")
        message.attach(f"{invoice.key}-procNFe.xml", invoice.authorized_xml.encode(), "application/xml")
        message.send()
        invoice.emailed_at = timezone.now()
        invoice.save(update_fields=["emailed_at", "updated_at"])
        record(invoice, "invoice.emailed", {"email": invoice.recipient_email})
    return True


def accountant_monthly(month: date) -> bool:
    """E-mail the accountant the ZIP of `month`'s XML files (any day of it), once; False when the
    profile has no accountant's e-mail or that month was sent. A ZIP too large to attach is
    replaced by the link to download it."""
    period = Period.month(month)
    with transaction.atomic():
        profile = _profile()
        if (profile is None or not profile.accountant_email
                or (profile.accountant_sent_month and profile.accountant_sent_month >= period.first)):
            return False
        with tempfile.TemporaryFile() as spool:
            with translation.override(settings.LANGUAGE_CODE):
                report = write_archive(spool, period, environment=profile.environment)
            size = spool.tell()
            link = (f"{settings.SITE_URL.rstrip('/')}{reverse('fiscal:xml_archive')}"
                    f"?first={period.first.isoformat()}&last={period.last.isoformat()}")
            attached = size <= ATTACHMENT_LIMIT
            context = {"store": profile, "period": period, "report": report, "attached": attached, "link": link}
            message = _message("accountant", context, to=[profile.accountant_email])
            if attached:
                spool.seek(0)
                message.attach(archive_filename(period), spool.read(), "application/zip")
            message.send()
        profile.accountant_sent_month = period.first
        profile.save(update_fields=["accountant_sent_month", "updated_at"])
    return True


def certificate_expiry_warning() -> bool:
    """Warn finance and the admins by e-mail that the A1 certificate expires within 30 days, and
    again once it expired; each once per certificate. False when there is nothing (new) to say or
    no one to tell."""
    now = timezone.now()
    with transaction.atomic():
        profile = _profile()
        expires = profile and profile.certificate_expires_at
        if not expires or expires - now > EXPIRY_WARNING:
            return False
        stage = "expired" if expires <= now else "soon"
        warning = f"{profile.certificate_serial}:{stage}"
        recipients = sorted(set(
            get_user_model().objects.filter(is_active=True, groups__name__in=CERTIFICATE_ROLES)
            .exclude(email="").values_list("email", flat=True)))
        if profile.certificate_warning == warning or not recipients:
            return False
        context = {"store": profile, "expires": expires, "expired": stage == "expired",
                   "days": max((expires - now).days, 0),
                   "link": f"{settings.SITE_URL.rstrip('/')}{reverse('fiscal:settings')}"}
        _message("certificate", context, to=recipients).send()
        profile.certificate_warning = warning
        profile.save(update_fields=["certificate_warning", "updated_at"])
    return True
