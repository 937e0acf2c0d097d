"""Move two-factor devices out of django-otp's plug-in tables (where the TOTP key and the recovery
codes were kept in clear) into accounts': the key encrypted as it is copied, each code hashed.
The old tables are then dropped, so no secret is left behind in clear, and their apps are
forgotten (otp_totp and otp_static are no longer installed). On a database that never had them
this does nothing."""

import hashlib

from django.db import migrations

TOTP = "otp_totp_totpdevice"
STATIC_DEVICE, STATIC_TOKEN = "otp_static_staticdevice", "otp_static_statictoken"
COMMON = "user_id, name, confirmed, throttling_failure_timestamp, throttling_failure_count, created_at, last_used_at"
FIELDS = COMMON.split(", ")
TOTP_FIELDS = ["key", "step", "t0", "digits", "tolerance", "drift", "last_t"]


def digest(code):
    """As accounts.models.recovery_digest (kept here as it was when this migration was written)."""
    typed = "".join(str(code).split()).replace("-", "").lower()
    return hashlib.sha256(typed.encode()).hexdigest()


def copied(device, row):
    """Keep the old device's creation time (auto_now_add set it to now)."""
    type(device).objects.filter(pk=device.pk).update(created_at=row[FIELDS.index("created_at")])


def move(apps, schema_editor):
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    RecoveryCodeDevice = apps.get_model("accounts", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    with connection.cursor() as cursor:
        if TOTP in tables:
            cursor.execute(f"SELECT {', '.join(FIELDS + TOTP_FIELDS)} FROM {TOTP} ORDER BY id")
            for row in cursor.fetchall():
                copied(TOTPDevice.objects.create(**dict(zip(FIELDS + TOTP_FIELDS, row))), row)
        if STATIC_DEVICE in tables:
            cursor.execute(f"SELECT id, {COMMON} FROM {STATIC_DEVICE} ORDER BY id")
            devices = {}  # old device id: the user's one new device
            for old_id, *row in cursor.fetchall():
                values = dict(zip(FIELDS, row))
                user_id = values.pop("user_id")
                device, new = RecoveryCodeDevice.objects.get_or_create(user_id=user_id, defaults=values)
                if new:
                    copied(device, row)
                devices[old_id] = device
            cursor.execute(f"SELECT device_id, token FROM {STATIC_TOKEN}")
            codes = {(devices[device_id].pk, digest(token)) for device_id, token in cursor.fetchall()}
            RecoveryCode.objects.bulk_create(
                RecoveryCode(device_id=device_id, digest=code) for device_id, code in codes
            )
        for table in (STATIC_TOKEN, STATIC_DEVICE, TOTP):
            if table in tables:
                schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(table)}")
        cursor.execute("DELETE FROM django_migrations WHERE app IN ('otp_totp', 'otp_static')")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_two_factor_devices")]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
