"""Admin views of platform records."""

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models.constants import LOOKUP_SEP
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from .api import API_CHANNELS, api_channels_clean
from .models import ApiToken, AuditEvent, TaskDelivery
from .states import events_of


class SecretFieldsAdmin(admin.ModelAdmin):
    """The admin of a model holding secrets: no filter reaches them, so no guess can be
    checked against one (`?webhook_secret__startswith=…` answers 400, as any lookup the
    admin refuses). Its list filters, search and ordering must not name them either."""

    secret_fields: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP, 1)[0] in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: visible in the admin, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimelineAdmin(admin.ModelAdmin):
    """The admin of a stateful document (backoffice.states): its page shows its timeline (name
    "timeline" among its readonly_fields)."""

    @admin.display(description=_("timeline"))
    def timeline(self, document):
        return render_to_string("partials/timeline.html", {"events": events_of(document)})


class ApiTokenForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(label=_("channels"), choices=lambda: API_CHANNELS.items(),
                                         widget=forms.CheckboxSelectMultiple)

    def clean_channels(self):
        return api_channels_clean(self.cleaned_data["channels"])


@admin.register(ApiToken)
class ApiTokenAdmin(SecretFieldsAdmin):
    """Tokens are created with `manage.py create_api_token` (the key is shown once); here
    they are listed, their channels changed and they are revoked (set "revoked"). The
    integration stays: it says whose orders the token sees."""

    form = ApiTokenForm
    list_display = ("name", "integration", "channel_list", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("integration",)
    fields = ("name", "integration", "channels", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("integration", "prefix", "created_at", "last_used_at")
    secret_fields = ("digest",)

    @admin.display(description=_("channels"))
    def channel_list(self, token):
        return ", ".join(token.channels)

    def has_add_permission(self, request):
        return False


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(SecretFieldsAdmin, auth_admin.UserAdmin):
    secret_fields = ("password",)  # a hash, but one a guess could be walked to


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "object_repr")
    list_filter = ("action",)


@admin.register(TaskDelivery)
class TaskDeliveryAdmin(ReadOnlyAdmin):
    """Deliveries that started and never finished: a worker died in them (or one runs now)."""

    list_display = ("task_name", "key", "starts", "last_started_at")
