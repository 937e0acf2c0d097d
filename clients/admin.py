from django.contrib import admin

from clients.models import Boundaries, Client, Contact, DayOff, FreelancerProfile, WorkingWindow
from clients.scripts_model import MessageScript


class OwnedAdmin(admin.ModelAdmin):
    """Superusers see every row; other staff see only their own. The owner is never typed."""

    readonly_fields = ("owner",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.owned_by(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if not request.user.is_superuser and hasattr(model, "owner"):
            kwargs["queryset"] = model.objects.owned_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None or self.model.owner_from:
            return form
        owner = request.user

        class OwnedForm(form):
            """A new row belongs to whoever adds it, before validation (unique names per owner)."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.instance.owner = owner

        return OwnedForm


class WorkingWindowInline(admin.TabularInline):
    model = WorkingWindow
    extra = 0


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 0


@admin.register(FreelancerProfile)
class FreelancerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone", "holiday_country", "holiday_subdiv")
    inlines = [WorkingWindowInline, DayOffInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user=request.user)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Client)
class ClientAdmin(OwnedAdmin):
    list_display = ("name", "organisation", "status", "timezone", "owner")
    list_filter = ("status",)
    search_fields = ("name", "organisation")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(OwnedAdmin):
    list_display = ("name", "client", "email", "role")
    search_fields = ("name", "email")


@admin.register(Boundaries)
class BoundariesAdmin(OwnedAdmin):
    list_display = (
        "client",
        "reply_window_hours",
        "update_cadence_days",
        "checkin_cadence_days",
        "after_hours_policy",
    )


@admin.register(MessageScript)
class MessageScriptAdmin(OwnedAdmin):
    """A freelancer's own scripts and their edits of the built-ins. The key never changes once
    the row exists: interactions logged as sent from the script record it."""

    list_display = ("title", "key", "owner", "updated_at")
    search_fields = ("title", "key", "body")

    def get_readonly_fields(self, request, obj=None):
        return ("owner", "key") if obj else ("owner",)
