"""Two-factor devices in the admin: seen, and removed for a user who lost both phone and recovery
codes (they sign in with their password and may set it up again). Never added or edited there,
and the secrets are not shown."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import RecoveryCodeDevice, TOTPDevice


@admin.register(TOTPDevice, RecoveryCodeDevice)
class DeviceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    fields = (*list_display, "throttling_failure_count", "throttling_failure_timestamp")
    readonly_fields = fields
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
