"""Compose the emails that have fallen due and send every due one, once, synchronously: the same
code the `send-emails` beat entry runs."""

from django.core.management.base import BaseCommand

from engagements.emails import send_due_emails


class Command(BaseCommand):
    help = (
        "Compose due daily digests and weekly review emails, then send every due email "
        "(reminders included) through the configured email backend."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(send_due_emails()))
