"""`python manage.py reencrypt_secrets`: re-encrypt every stored secret under the first key of
ENCRYPTION_KEYS (after putting a new key in front), so that the old key can then be removed.
`--new-key` prints a fresh key instead."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand
from django.db import transaction

from clients.encryption import encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="print a new key and stop")

    def handle(self, *args, new_key=False, **options):
        if new_key:
            self.stdout.write(Fernet.generate_key().decode())
            return
        done = unreadable = 0
        for model, name in encrypted_fields():
            rows = model._base_manager.exclude(**{name: ""}).order_by("pk")
            with transaction.atomic():
                # Read with any key (the field decrypts), write with the first (it encrypts).
                for pk, plain in rows.select_for_update().values_list("pk", name):
                    if plain is None:
                        unreadable += 1
                        self.stderr.write(f"{model.__name__} {pk}: no key opens its {name}.")
                        continue
                    model._base_manager.filter(pk=pk).update(**{name: plain})
                    done += 1
        self.stdout.write(f"Re-encrypted {done} secrets; {unreadable} could not be read.")
