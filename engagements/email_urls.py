"""Email pages, mounted at /email/: the sent-email history, follow-up reminders, and the signed
links that emails carry (these take their token in the query string, `?t=…`)."""

from django.urls import path

from engagements.views import email_links, reminders, sent_emails

urlpatterns = [
    path("sent/", sent_emails.sent_emails, name="email-sent"),
    path("resume/", sent_emails.resume, name="email-resume"),
    path("reminders/", reminders.reminder_list, name="reminder-list"),
    path("reminders/new/", reminders.reminder_new, name="reminder-new"),
    path("reminders/cancel/", reminders.reminder_cancel, name="reminder-cancel"),
    path("link/snooze/", email_links.snooze, name="email-link-snooze"),
    path("link/review/", email_links.review, name="email-link-review"),
    path("link/unsubscribe/", email_links.unsubscribe, name="email-unsubscribe"),
]
