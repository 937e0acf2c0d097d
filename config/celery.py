"""The Celery app: configured from Django settings (CELERY_*), tasks found in each app."""

import os
from pathlib import Path

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rapport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_ready.connect
def tell_devrun(**kwargs):
    """`make run` (config/devrun.py) says the address once the worker is ready too."""
    if path := os.environ.get("DEVRUN_WORKER_READY"):
        Path(path).touch()
