"""Every page's URL, with the same paths and names as before the pages had an app of their own.
Mounted at the site's root by config/urls.py."""

from django.urls import include, path

from web.views import (
    clients,
    dashboard,
    email_links,
    expectations,
    flags,
    interactions,
    mail,
    profile,
    reminders,
    review,
    scripts,
    sent_emails,
)

client_pages = [
    path("", clients.client_list, name="client-list"),
    path("new/", clients.client_create, name="client-create"),
    path("<int:pk>/", clients.client_detail, name="client-detail"),
    path("<int:pk>/edit/", clients.client_edit, name="client-edit"),
    path("<int:pk>/timeline/", clients.client_timeline, name="client-timeline"),
    path("<int:pk>/mail/", mail.client_mail_upload, name="client-mail-upload"),
    # Engagement and expectation forms open from the client page.
    path("<int:pk>/engagements/new/", expectations.engagement_create, name="engagement-create"),
    path("engagements/<int:pk>/edit/", expectations.engagement_edit, name="engagement-edit"),
    path(
        "engagements/<int:pk>/expectations/new/",
        expectations.expectation_create,
        name="expectation-create",
    ),
    path("expectations/<int:pk>/edit/", expectations.expectation_edit, name="expectation-edit"),
]

settings_pages = [
    path("", profile.profile_settings, name="settings-profile"),
    path("regions/", profile.holiday_region_options, name="settings-holiday-regions"),
    path("hours/", profile.working_hours, name="settings-hours"),
    path("hours/row/", profile.working_hours_row, name="settings-hours-row"),
    path("days-off/", profile.days_off, name="settings-days-off"),
    path("days-off/<int:pk>/delete/", profile.day_off_delete, name="settings-day-off-delete"),
    path("thresholds/", profile.thresholds, name="settings-thresholds"),
    path("mailboxes/", mail.mailbox_list, name="settings-mailboxes"),
    path("mailboxes/new/", mail.mailbox_create, name="settings-mailbox-create"),
    path("mailboxes/<int:pk>/", mail.mailbox_detail, name="settings-mailbox"),
    path("mailboxes/<int:pk>/edit/", mail.mailbox_edit, name="settings-mailbox-edit"),
    path("mailboxes/<int:pk>/test/", mail.mailbox_test, name="settings-mailbox-test"),
    path("mailboxes/<int:pk>/sync/", mail.mailbox_sync, name="settings-mailbox-sync"),
    path("mailboxes/<int:pk>/delete/", mail.mailbox_delete, name="settings-mailbox-delete"),
    path("forwarding/", mail.forwarding_address, name="settings-forwarding"),
]

# "Who is this?": senders of mail that nobody known is in (the address goes in the form).
mail_pages = [
    path("unknown/", mail.unknown_senders, name="mail-unknown"),
    path("unknown/add/", mail.unknown_sender_add, name="mail-unknown-add"),
    path("unknown/ignore/", mail.unknown_sender_ignore, name="mail-unknown-ignore"),
]

review_pages = [
    path("", review.review, name="review"),
    path("<str:week>/", review.review, name="review-week"),
    path("<str:week>/clients/<int:client_id>/", review.save_entry, name="review-entry"),
    path("<str:week>/complete/", review.complete, name="review-complete"),
]

# The sent-email history, follow-up reminders, and the signed links that emails carry (these
# take their token in the query string, `?t=…`).
email_pages = [
    path("sent/", sent_emails.sent_emails, name="email-sent"),
    path("resume/", sent_emails.resume, name="email-resume"),
    path("reminders/", reminders.reminder_list, name="reminder-list"),
    path("reminders/new/", reminders.reminder_new, name="reminder-new"),
    path("reminders/cancel/", reminders.reminder_cancel, name="reminder-cancel"),
    path("link/snooze/", email_links.snooze, name="email-link-snooze"),
    path("link/review/", email_links.review, name="email-link-review"),
    path("link/unsubscribe/", email_links.unsubscribe, name="email-unsubscribe"),
]

script_pages = [
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

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("flags/<int:pk>/", flags.actions, name="flag-actions"),
    path("flags/<int:pk>/acknowledge/", flags.acknowledge, name="flag-acknowledge"),
    path("flags/<int:pk>/snooze/", flags.snooze, name="flag-snooze"),
    path("flags/<int:pk>/resolve/", flags.resolve, name="flag-resolve"),
    path("interactions/new/", interactions.new_interaction, name="interaction-new"),
    path(
        "interactions/<int:pk>/suggestion/",
        mail.interaction_suggestion,
        name="interaction-suggestion",
    ),
    path("clients/", include(client_pages)),
    path("settings/", include(settings_pages)),
    path("review/", include(review_pages)),
    path("email/", include(email_pages)),
    path("scripts/", include(script_pages)),
    path("mail/", include(mail_pages)),
]
