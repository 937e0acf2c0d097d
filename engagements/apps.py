from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from engagements import dashboard_cache

        dashboard_cache.connect_signals()
