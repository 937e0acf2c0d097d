from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clients.admin import OwnedAdmin
from inbox.models import Mailbox

EDITABLE = ("name", "look_back_days")
NEVER_SHOWN = ("password", "lease_token")


@admin.register(Mailbox)
class MailboxAdmin(OwnedAdmin):
    """Where each mailbox's sync stands. The password is not on this page, ever."""

    list_display = ("__str__", "owner", "host", "status", "last_sync_at", "failing_since")
    list_filter = ("status", "demo")
    exclude = NEVER_SHOWN

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [
            f.name
            for f in Mailbox._meta.concrete_fields
            if f.name not in ("id", *EDITABLE, *NEVER_SHOWN)
        ]
