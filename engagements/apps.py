from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clients.changes import fields_changed
        from clients.models import Boundaries, Client, DayOff, FreelancerProfile, WorkingWindow
        from engagements import dashboard_cache
        from engagements.due import marked
        from engagements.models import ChangeRecord, EmailStatus, Engagement, Expectation, Flag

        fields_changed.connect(ChangeRecord.on_fields_changed, dispatch_uid="change-records")

        # Saves and deletes of the rows the dashboard reads mark the owner's snapshot stale:
        # saves the part they show in (engagements/dashboard_cache.py), deletes every part, as
        # a deletion's cascade may reach any. Flags are only deleted with what they are about (a
        # client, an expectation, a message), whose deletion says so; a receiver for each flag
        # would also stop Django deleting them in one statement. ClientActivity is written in
        # bulk only, and says so itself, as does Interaction.delete().
        saved = {
            Client: dashboard_cache.changed_clients,
            Boundaries: dashboard_cache.changed_client_row,
            Engagement: dashboard_cache.changed_client_row,
            Flag: dashboard_cache.changed_flags,
            EmailStatus: dashboard_cache.changed_settings,
            WorkingWindow: dashboard_cache.changed_settings,
            DayOff: dashboard_cache.changed_settings,
            FreelancerProfile: dashboard_cache.changed_owner,  # its defaults and zone: all
        }
        for model, receiver in saved.items():
            post_save.connect(receiver, sender=model, dispatch_uid=f"dashboard:{model.__name__}")
        deleted = (Client, Boundaries, Engagement, EmailStatus, WorkingWindow, DayOff, Expectation)
        for model in deleted:
            post_delete.connect(
                dashboard_cache.changed_owner,
                sender=model,
                dispatch_uid=f"dashboard:{model.__name__}",
            )

        # Saves and deletes of the rows the rules read mark the client (or every client of the
        # profile's freelancer) due for the next evaluation pass (engagements/due.py). The log
        # marks itself in ClientActivity.refresh; flag transitions and the bulk writers by hand.
        # Flags, as above, only on save.
        rules_read = (Client, Boundaries, Engagement, Expectation, FreelancerProfile)
        for model in (*rules_read, WorkingWindow, DayOff, Flag):
            post_save.connect(marked, sender=model, dispatch_uid=f"due:{model.__name__}")
        for model in (*rules_read, WorkingWindow, DayOff):
            post_delete.connect(marked, sender=model, dispatch_uid=f"due:{model.__name__}")
