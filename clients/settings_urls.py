from django.urls import path

from clients.views import profile

urlpatterns = [
    path("", profile.profile_settings, name="settings-profile"),
    path("regions/", profile.holiday_region_options, name="settings-holiday-regions"),
    path("hours/", profile.working_hours, name="settings-hours"),
    path("hours/row/", profile.working_hours_row, name="settings-hours-row"),
    path("days-off/", profile.days_off, name="settings-days-off"),
    path("days-off/<int:pk>/delete/", profile.day_off_delete, name="settings-day-off-delete"),
    path("thresholds/", profile.thresholds, name="settings-thresholds"),
]
