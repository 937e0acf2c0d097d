from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from engagements.events import flags_changed, interaction_logged
        from integrations import webhooks

        flags_changed.connect(webhooks.on_flags_changed, dispatch_uid="webhooks:flags")
        interaction_logged.connect(
            webhooks.on_interaction_logged, dispatch_uid="webhooks:interactions"
        )
