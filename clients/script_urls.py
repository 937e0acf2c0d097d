"""Message scripts, mounted at /scripts/: the library, and the scripts rendered for a client."""

from django.urls import path

from clients.views import scripts

urlpatterns = [
    path("", scripts.script_library, name="script-library"),
    path("new/", scripts.script_create, name="script-create"),
    path("<slug:key>/edit/", scripts.script_edit, name="script-edit"),
    path("<slug:key>/delete/", scripts.script_delete, name="script-delete"),
    path("client/<int:client_id>/", scripts.client_scripts, name="client-scripts"),
    path("client/<int:client_id>/<slug:key>/", scripts.client_script, name="client-script"),
    path(
        "client/<int:client_id>/<slug:key>/log/",
        scripts.log_script_sent,
        name="client-script-log",
    ),
]
