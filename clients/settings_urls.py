from django.urls import path

from clients.views import profile

urlpatterns = [
    path("", profile.profile_settings, name="settings-profile"),
]
