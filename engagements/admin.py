from django.contrib import admin

from clients.admin import OwnedAdmin
from engagements import sender
from engagements.models import (
    ChangeRecord,
    EmailStatus,
    Engagement,
    Expectation,
    FollowUp,
    HealthSnapshot,
    Interaction,
    OutboundEmail,
    ReviewEntry,
    WeeklyReview,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Readable, never added, changed or deleted here: the app writes these rows. Deleting their
    parent (a client, a user) still takes them with it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Never one by one, on this model's own pages; but as part of deleting a parent, yes.
        match = request.resolver_match
        own_pages = f"{self.opts.app_label}_{self.opts.model_name}_"
        return bool(match) and not match.url_name.startswith(own_pages)


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
class ChangeRecordAdmin(ReadOnlyAdmin, OwnedAdmin):
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


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(OwnedAdmin):
    list_display = ("week", "client", "score", "taken_at")
    list_select_related = ("client",)
    date_hierarchy = "week"


class ReviewEntryInline(admin.TabularInline):
    """Read here; edited on their own page, where the client choices are scoped to the owner."""

    model = ReviewEntry
    fields = ("client", "decision", "note", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WeeklyReview)
class WeeklyReviewAdmin(OwnedAdmin):
    list_display = ("week", "owner", "completed_at")
    date_hierarchy = "week"
    inlines = [ReviewEntryInline]


@admin.register(ReviewEntry)
class ReviewEntryAdmin(OwnedAdmin):
    list_display = ("review", "client", "decision", "updated_at")
    list_filter = ("decision",)
    list_select_related = ("review", "client")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin, OwnedAdmin):
    """The outbox: read-only. A row's idempotency key is what keeps an email from going twice,
    so rows are never added, edited or deleted by hand."""

    list_display = ("created_at", "owner", "kind", "key", "to", "status", "attempts", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("to", "subject", "key")
    date_hierarchy = "created_at"


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin, OwnedAdmin):
    """Read-only: a follow-up is written together with its email (engagements.emails), and
    cancelled from the reminders page, which cancels the email too."""

    list_display = ("send_at", "client", "note", "remind_at", "cancelled_at")
    list_select_related = ("client",)
    search_fields = ("note",)


@admin.register(EmailStatus)
class EmailStatusAdmin(ReadOnlyAdmin):
    """Written by the sender; resume a paused freelancer with the action (as their own "Resume
    sending" button does), which also retries what failed."""

    list_display = ("owner", "consecutive_failures", "paused_at", "last_failure_at")
    list_filter = (("paused_at", admin.EmptyFieldListFilter),)
    actions = ["resume"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(owner=request.user)

    @admin.action(description="Resume sending (and retry what failed)")
    def resume(self, request, queryset):
        resumed = sum(
            sender.resume_email(owner_id) for owner_id in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Resumed email for {resumed} freelancer(s).")
