"""Audit rows for Django's authentication events (connected in BackofficeConfig.ready)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed

from .services import audit_record


def client_ip(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


def on_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="user.login", obj=user, ip_address=client_ip(request))


def on_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None,
        action="user.login_failed",
        note=str(credentials.get("username", ""))[:150],
        ip_address=client_ip(request),
    )


def connect():
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
