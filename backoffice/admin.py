"""Admin views of platform records."""

from django.contrib import admin

from .models import ApiToken, AuditEvent, TaskDelivery


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: visible in the admin, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token` (the key is shown once); here
    they are listed and revoked (set "revoked")."""

    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "object_repr")
    list_filter = ("action",)


@admin.register(TaskDelivery)
class TaskDeliveryAdmin(ReadOnlyAdmin):
    """Deliveries that started and never finished: a worker died in them (or one runs now)."""

    list_display = ("task_name", "key", "starts", "last_started_at")
