"""Audit rows for Django's own events: logins, failed logins and changes made in the Django
admin (schedules, users, groups). Connected in BackofficeConfig.ready."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save

from .http import client_ip
from .services import audit_record

ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


def on_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="user.login", obj=user, ip_address=client_ip(request))


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Only a username that exists is kept: what people type there is sometimes their password.
    username = str(credentials.get("username", ""))
    user = get_user_model().objects.filter(username=username).first()
    audit_record(
        actor=None, action="user.login_failed", obj=user, note="" if user else "(unknown user)",
        ip_address=client_ip(request),
    )


def on_admin_change(sender, instance, created, **kwargs):
    if not created:
        return
    audit_record(
        actor=instance.user,
        action=ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
        obj=instance.get_edited_object() if instance.action_flag != DELETION else None,
        note=f"{instance.content_type}: {instance.object_repr} — {instance.get_change_message()}"[:2000],
    )


def connect():
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="audit-admin-change")
