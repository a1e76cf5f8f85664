"""Audit rows for Django's own events: logins, failed logins, lockouts (django-axes) and changes
made in the Django admin (schedules, users, groups). Connected in BackofficeConfig.ready."""

import json

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save
from django.utils import translation

from .audit import audit_record
from .http import client_ip

ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


def on_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="user.login", obj=user, ip_address=client_ip(request))


def _record_against_username(action, username, request):
    # Only a username that exists is kept: what people type there is sometimes their password.
    user = get_user_model().objects.filter(username=str(username or "")).first()
    audit_record(actor=None, action=action, obj=user, ip_address=client_ip(request))


def on_login_failed(sender, credentials, request=None, **kwargs):
    _record_against_username("user.login_failed", credentials.get("username"), request)


def on_locked_out(sender, request, username, **kwargs):
    # Sent for the try that reaches the limit and for each one refused while locked.
    _record_against_username("user.locked_out", username, request)


def on_admin_change(sender, instance, created, **kwargs):
    """The admin's change message is kept as the admin keeps it (what changed, as data), and read
    in the reader's language (backoffice.audit.note_shown); a deletion says what was deleted."""
    if not created:
        return
    deleted = instance.action_flag == DELETION
    if deleted:
        with translation.override(None):  # the name as written in the code, translated when read
            name = str(instance.content_type.model_class()._meta.verbose_name)
        note = json.dumps([{"deleted": {"name": name, "object": instance.object_repr}}])
    else:
        note = instance.change_message
    audit_record(
        actor=instance.user,
        action=ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
        obj=None if deleted else instance.get_edited_object(),
        note=note,
    )


def connect():
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit-login-failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit-locked-out")
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="audit-admin-change")
