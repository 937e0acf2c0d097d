from django.contrib import admin

from clients.admin import OwnedAdmin
from engagements.models import ChangeRecord, Engagement, Expectation, Interaction


@admin.register(Engagement)
class EngagementAdmin(OwnedAdmin):
    list_display = ("title", "client", "status", "start", "end")
    list_filter = ("status",)
    search_fields = ("title",)


@admin.register(Expectation)
class ExpectationAdmin(OwnedAdmin):
    list_display = ("title", "client", "owed_by", "due", "status", "confirmed_in_writing")
    list_filter = ("status", "owed_by", "kind")
    readonly_fields = ("owner", "client")


@admin.register(Interaction)
class InteractionAdmin(OwnedAdmin):
    list_display = ("occurred_at", "client", "direction", "channel", "kind", "tone", "out_of_hours")
    list_filter = ("direction", "channel", "kind", "tone", "out_of_hours")
    readonly_fields = ("owner", "out_of_hours")
    date_hierarchy = "occurred_at"


@admin.register(ChangeRecord)
class ChangeRecordAdmin(OwnedAdmin):
    """Append-only: readable, never editable or deletable here."""

    list_display = (
        "changed_at",
        "client",
        "subject",
        "field",
        "from_value",
        "to_value",
        "confirmed_in_writing",
    )
    list_filter = ("subject", "confirmed_in_writing")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Never one by one, here; but deleting a client takes its records with it.
        match = request.resolver_match
        return bool(match) and not match.url_name.startswith("engagements_changerecord_")
