from django.apps import AppConfig


class WebConfig(AppConfig):
    """Every page: views, forms, url confs, the reads behind them, wording and template tags.
    It has no models: it reads and writes through the domain apps (clients, engagements)."""

    name = "web"
