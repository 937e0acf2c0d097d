"""Every page's URL, with the same paths and names as before the pages had an app of their own.
Mounted at the site's root by config/urls.py."""

from django.urls import include, path, register_converter

from web.converters import IdConverter
from web.views import (
    accounts,
    clients,
    dashboard,
    documentation,
    email_links,
    expectations,
    flags,
    integrations,
    interactions,
    mail,
    onboarding,
    profile,
    reminders,
    review,
    scripts,
    sent_emails,
)

register_converter(IdConverter, "id")

client_pages = [
    path("", clients.client_list, name="client-list"),
    path("new/", clients.client_create, name="client-create"),
    path("<id:pk>/", clients.client_detail, name="client-detail"),
    path("<id:pk>/edit/", clients.client_edit, name="client-edit"),
    path("<id:pk>/timeline/", clients.client_timeline, name="client-timeline"),
    path("<id:pk>/", clients.client_detail, name="client-detail"),
    path("<id:pk>/edit/", clients.client_edit, name="client-edit"),
    path("<id:pk>/timeline/", clients.client_timeline, name="client-timeline"),
    path("<id:pk>/mail/", mail.client_mail_upload, name="client-mail-upload"),
    # Engagement and expectation forms open from the client page.
    path("<id:pk>/engagements/new/", expectations.engagement_create, name="engagement-create"),
    path("engagements/<id:pk>/edit/", expectations.engagement_edit, name="engagement-edit"),
    path(
        "engagements/<id:pk>/expectations/new/",
        expectations.expectation_create,
        name="expectation-create",
    ),
    path("expectations/<id:pk>/edit/", expectations.expectation_edit, name="expectation-edit"),
    # Confirm in writing after the fact (web/views/documentation.py).
    path("changes/<id:pk>/confirm/", documentation.confirm_change, name="change-confirm"),
    path(
        "expectations/<id:pk>/confirm/",
        documentation.confirm_expectation,
        name="expectation-confirm",
    ),
    path(
        "<id:pk>/boundaries/confirm/", documentation.confirm_boundaries, name="boundaries-confirm"
    ),
]

settings_pages = [
    path("", profile.profile_settings, name="settings-profile"),
    path("regions/", profile.holiday_region_options, name="settings-holiday-regions"),
    path("hours/", profile.working_hours, name="settings-hours"),
    path("hours/row/", profile.working_hours_row, name="settings-hours-row"),
    path("days-off/", profile.days_off, name="settings-days-off"),
    path("days-off/<id:pk>/delete/", profile.day_off_delete, name="settings-day-off-delete"),
    path("thresholds/", profile.thresholds, name="settings-thresholds"),
    path("two-factor/", accounts.two_factor, name="settings-two-factor"),
    path("two-factor/start/", accounts.two_factor_start, name="settings-two-factor-start"),
    path("two-factor/confirm/", accounts.two_factor_confirm, name="settings-two-factor-confirm"),
    path("two-factor/codes/", accounts.two_factor_recovery_codes, name="settings-two-factor-codes"),
    path("two-factor/disable/", accounts.two_factor_disable, name="settings-two-factor-disable"),
    # Rapport in other tools: tokens, the calendar feed, webhooks, import, export, the account.
    path("api-tokens/", integrations.api_tokens, name="settings-api-tokens"),
    path(
        "api-tokens/<id:pk>/revoke/",
        integrations.api_token_revoke,
        name="settings-api-token-revoke",
    ),
    path("calendar/", integrations.calendar_feeds, name="settings-calendar"),
    path(
        "calendar/<id:pk>/regenerate/",
        integrations.calendar_feed_regenerate,
        name="settings-calendar-regenerate",
    ),
    path(
        "calendar/<id:pk>/delete/",
        integrations.calendar_feed_delete,
        name="settings-calendar-delete",
    ),
    path("webhooks/", integrations.webhook_list, name="settings-webhooks"),
    path("webhooks/<id:pk>/", integrations.webhook_edit, name="settings-webhook-edit"),
    path("webhooks/<id:pk>/enable/", integrations.webhook_enable, name="settings-webhook-enable"),
    path("webhooks/<id:pk>/secret/", integrations.webhook_secret, name="settings-webhook-secret"),
    path("webhooks/<id:pk>/delete/", integrations.webhook_delete, name="settings-webhook-delete"),
    path("import/", integrations.import_page, name="settings-import"),
    path("import/confirm/", integrations.import_confirm, name="settings-import-confirm"),
    path("import/template.csv", integrations.import_template, name="settings-import-template"),
    path("export/", integrations.export_page, name="settings-export"),
    path("export/clients.csv", integrations.export_clients, name="export-clients"),
    path("export/interactions.csv", integrations.export_interactions, name="export-interactions"),
    path("export/flags.csv", integrations.export_flags, name="export-flags"),
    path("export/account.zip", integrations.export_account, name="export-account"),
    path("account/", integrations.account_page, name="settings-account"),
    path("mailboxes/", mail.mailbox_list, name="settings-mailboxes"),
    path("mailboxes/new/", mail.mailbox_create, name="settings-mailbox-create"),
    path("mailboxes/<id:pk>/", mail.mailbox_detail, name="settings-mailbox"),
    path("mailboxes/<id:pk>/edit/", mail.mailbox_edit, name="settings-mailbox-edit"),
    path("mailboxes/<id:pk>/test/", mail.mailbox_test, name="settings-mailbox-test"),
    path("mailboxes/<id:pk>/sync/", mail.mailbox_sync, name="settings-mailbox-sync"),
    path("mailboxes/<id:pk>/delete/", mail.mailbox_delete, name="settings-mailbox-delete"),
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
    path("<str:week>/clients/<id:client_id>/", review.save_entry, name="review-entry"),
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

# The first run of a new account (web/views/onboarding.py).
welcome_pages = [
    path("", onboarding.zone, name="welcome"),
    path("hours/", onboarding.hours, name="welcome-hours"),
    path("holidays/", onboarding.holidays, name="welcome-holidays"),
    path("defaults/", onboarding.defaults, name="welcome-defaults"),
    path("client/", onboarding.first_client, name="welcome-client"),
    path("done/", onboarding.done, name="welcome-done"),
]

script_pages = [
    path("", scripts.script_library, name="script-library"),
    path("new/", scripts.script_create, name="script-create"),
    path("<slug:key>/edit/", scripts.script_edit, name="script-edit"),
    path("<slug:key>/delete/", scripts.script_delete, name="script-delete"),
    path("client/<id:client_id>/", scripts.client_scripts, name="client-scripts"),
    path("client/<id:client_id>/<slug:key>/", scripts.client_script, name="client-script"),
    path(
        "client/<id:client_id>/<slug:key>/log/",
        scripts.log_script_sent,
        name="client-script-log",
    ),
]

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("flags/<id:pk>/", flags.actions, name="flag-actions"),
    path("flags/<id:pk>/acknowledge/", flags.acknowledge, name="flag-acknowledge"),
    path("flags/<id:pk>/snooze/", flags.snooze, name="flag-snooze"),
    path("flags/<id:pk>/resolve/", flags.resolve, name="flag-resolve"),
    path("flags/<id:pk>/confirm/", flags.confirm, name="flag-confirm"),
    path("interactions/new/", interactions.new_interaction, name="interaction-new"),
    path(
        "interactions/<id:pk>/suggestion/",
        mail.interaction_suggestion,
        name="interaction-suggestion",
    ),
    path("clients/", include(client_pages)),
    path("settings/", include(settings_pages)),
    path("review/", include(review_pages)),
    path("email/", include(email_pages)),
    path("scripts/", include(script_pages)),
    # The calendar feed: opened by its token alone (calendar apps have no session).
    path("calendar/<str:token>.ics", integrations.calendar_feed, name="calendar-feed"),
    path("welcome/", include(welcome_pages)),
    path("mail/", include(mail_pages)),
]
