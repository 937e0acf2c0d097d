from django.urls import path

from engagements.views import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
]
