from django.urls import path

from engagements.views import dashboard, flags, interactions

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("flags/<int:pk>/", flags.actions, name="flag-actions"),
    path("flags/<int:pk>/acknowledge/", flags.acknowledge, name="flag-acknowledge"),
    path("flags/<int:pk>/snooze/", flags.snooze, name="flag-snooze"),
    path("flags/<int:pk>/resolve/", flags.resolve, name="flag-resolve"),
    path("interactions/new/", interactions.new_interaction, name="interaction-new"),
]
