"""Client pages, mounted at /clients/. Engagement and expectation forms live here too: they are
opened from the client page."""

from django.urls import path

from clients.views import clients
from engagements.views import expectations

urlpatterns = [
    path("", clients.client_list, name="client-list"),
    path("new/", clients.client_create, name="client-create"),
    path("<int:pk>/", clients.client_detail, name="client-detail"),
    path("<int:pk>/edit/", clients.client_edit, name="client-edit"),
    path("<int:pk>/timeline/", clients.client_timeline, name="client-timeline"),
    path("<int:pk>/engagements/new/", expectations.engagement_create, name="engagement-create"),
    path("engagements/<int:pk>/edit/", expectations.engagement_edit, name="engagement-edit"),
    path(
        "engagements/<int:pk>/expectations/new/",
        expectations.expectation_create,
        name="expectation-create",
    ),
    path("expectations/<int:pk>/edit/", expectations.expectation_edit, name="expectation-edit"),
]
