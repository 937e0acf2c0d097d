from django.apps import AppConfig


class WebConfig(AppConfig):
    """Every page: views, forms, url confs, the reads behind them, wording and template tags.
    It has no models: it reads and writes through the domain apps (clients, engagements)."""

    name = "web"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from web.middleware import require_second_factor

        user_logged_in.connect(require_second_factor, dispatch_uid="rapport-second-factor")
