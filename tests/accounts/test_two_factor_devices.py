"""Two-factor devices keep their secrets at rest: the TOTP key encrypted under ENCRYPTION_KEYS,
recovery codes as digests only. They verify as django-otp's own devices do (tolerance, drift, a
code used once, throttling), also when two sign-ins race, and devices made by django-otp's plug-ins
are moved over with their secrets protected."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django_otp import devices_for_user
from django_otp.oath import totp

from accounts.models import RecoveryCode, RecoveryCodeDevice, TOTPDevice
from clients.encryption import encrypted_fields
from tests.test_sign_in_security import enrol
from tests.threads import run_together

T = datetime(2026, 11, 30, 9, 0, 10, tzinfo=UTC)
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def app_code(device: TOTPDevice, moment: datetime) -> str:
    """What the authenticator app shows at `moment`."""
    with time_machine.travel(moment, tick=False):
        return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def verify(device, code: str, moment: datetime) -> bool:
    with time_machine.travel(moment, tick=False):
        return device.verify_token(code)


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="Authenticator")


@pytest.fixture
def codes(user):
    return RecoveryCodeDevice.issue(user)


def raw(sql: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [value for (value,) in cursor.fetchall()]


# --- at rest -------------------------------------------------------------------------------------


def test_the_database_holds_neither_the_totp_key_nor_a_recovery_code(client, profile):
    client.force_login(profile.user)
    with time_machine.travel(T, tick=False):
        codes = enrol(client)
    device = TOTPDevice.objects.get()

    [stored_key] = raw("SELECT key FROM accounts_totpdevice")
    digests = raw("SELECT digest FROM accounts_recoverycode")

    assert len(device.key) == 40 and device.key not in stored_key
    assert device.base32_key not in stored_key
    assert len(digests) == len(codes) == 10
    for code in codes:
        assert not any(code in d or code.replace("-", "") in d for d in digests)


def test_the_totp_key_is_among_the_secrets_reencrypt_secrets_rotates(settings, device):
    assert (TOTPDevice, "key") in encrypted_fields()
    settings.ENCRYPTION_KEYS = [OLD]
    device.save()  # the key, encrypted under OLD
    key = device.key
    [before] = raw("SELECT key FROM accounts_totpdevice")

    settings.ENCRYPTION_KEYS = [NEW, OLD]
    call_command("reencrypt_secrets")
    settings.ENCRYPTION_KEYS = [NEW]

    [after] = raw("SELECT key FROM accounts_totpdevice")
    assert after != before
    device = TOTPDevice.objects.get()
    assert device.key == key
    assert verify(device, app_code(device, T), T)


def test_a_key_no_configured_key_opens_refuses_codes_but_recovery_codes_still_work(
    settings, user, codes
):
    settings.ENCRYPTION_KEYS = [OLD]
    device = TOTPDevice.objects.create(user=user, name="Authenticator")
    code = app_code(device, T)
    settings.ENCRYPTION_KEYS = [NEW]  # the old key was lost

    device = TOTPDevice.objects.get()
    assert device.bin_key is None
    assert not verify(device, code, T)
    assert RecoveryCodeDevice.objects.get().verify_token(codes[0])


# --- verifying, as django-otp does -------------------------------------------------------------


def test_django_otp_finds_the_devices_of_a_user(user, device, codes):
    assert {type(d) for d in devices_for_user(user)} == {TOTPDevice, RecoveryCodeDevice}


def test_a_code_is_accepted_once_and_an_earlier_one_never_after_it(device):
    code = app_code(device, T)
    earlier = app_code(device, T - timedelta(seconds=30))

    assert verify(device, code, T)
    assert not verify(device, code, T + timedelta(seconds=5))  # replayed
    assert not verify(device, earlier, T + timedelta(seconds=10))  # a step already passed
    assert verify(device, app_code(device, T + timedelta(seconds=30)), T + timedelta(seconds=40))


def test_a_code_one_step_off_is_accepted_and_the_apps_drift_remembered(device):
    later = T + timedelta(seconds=5)  # the same time step, after the 1 s wait of a wrong code

    assert not verify(device, app_code(device, T - timedelta(seconds=60)), T)  # two steps off
    assert verify(device, app_code(device, later - timedelta(seconds=30)), later)
    assert TOTPDevice.objects.get().drift == -1


def test_wrong_codes_make_the_next_try_wait_longer_each_time(device):
    def at(seconds: float) -> bool:
        moment = T + timedelta(seconds=seconds)
        return verify(device, app_code(device, moment), moment)

    assert not verify(device, "000000", T)
    assert not at(0.5)  # the right code, but within 1 s of a wrong one
    assert not verify(device, "000000", T + timedelta(seconds=1.5))
    assert not at(3)  # within 2 s of the second
    assert TOTPDevice.objects.get().throttling_failure_count == 2
    assert at(3.6)
    assert TOTPDevice.objects.get().throttling_failure_count == 0


def test_each_recovery_code_works_once_however_it_is_typed(user, codes):
    device = RecoveryCodeDevice.objects.get()

    assert verify(device, codes[0].upper().replace("-", " "), T)
    assert not verify(device, codes[0], T + timedelta(minutes=1))
    assert verify(device, codes[1], T + timedelta(minutes=2))
    assert RecoveryCode.objects.count() == 8


def test_new_recovery_codes_replace_the_old_ones(user, codes):
    fresh = RecoveryCodeDevice.issue(user)

    device = RecoveryCodeDevice.objects.get()
    assert not set(fresh) & set(codes)
    assert not verify(device, codes[0], T)
    assert verify(device, fresh[0], T + timedelta(minutes=1))


def test_wrong_recovery_codes_are_throttled_too(user, codes):
    device = RecoveryCodeDevice.objects.get()
    assert not verify(device, "aaaa-bbbb-cccc-dddd", T)
    assert not verify(device, codes[0], T)  # too soon after a wrong one
    assert verify(device, codes[0], T + timedelta(seconds=2))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_sign_ins_racing_with_one_code_let_one_in(postgres, user):
    totp_device = TOTPDevice.objects.create(user=user, name="Authenticator")
    [recovery] = RecoveryCodeDevice.issue(user)[:1]
    code = app_code(totp_device, T)

    def attempt(model, token):
        return lambda: model.objects.get().verify_token(token)

    with time_machine.travel(T, tick=False):
        totp_results = run_together(attempt(TOTPDevice, code), attempt(TOTPDevice, code))
        recovery_results = run_together(
            attempt(RecoveryCodeDevice, recovery), attempt(RecoveryCodeDevice, recovery)
        )

    assert sorted(totp_results) == [False, True]
    assert sorted(recovery_results) == [False, True]


# --- moved from django-otp's plug-ins --------------------------------------------------------------

LEGACY_TABLES = """
CREATE TABLE otp_totp_totpdevice (
    id integer PRIMARY KEY, user_id integer NOT NULL, name varchar(64) NOT NULL,
    confirmed boolean NOT NULL, key varchar(80) NOT NULL, step smallint NOT NULL,
    t0 bigint NOT NULL, digits smallint NOT NULL, tolerance smallint NOT NULL,
    drift smallint NOT NULL, last_t bigint NOT NULL, throttling_failure_timestamp timestamp with time zone,
    throttling_failure_count integer NOT NULL, created_at timestamp with time zone,
    last_used_at timestamp with time zone);
CREATE TABLE otp_static_staticdevice (
    id integer PRIMARY KEY, user_id integer NOT NULL, name varchar(64) NOT NULL,
    confirmed boolean NOT NULL, throttling_failure_timestamp timestamp with time zone,
    throttling_failure_count integer NOT NULL, created_at timestamp with time zone,
    last_used_at timestamp with time zone);
CREATE TABLE otp_static_statictoken (
    id integer PRIMARY KEY, device_id integer NOT NULL, token varchar(16) NOT NULL);
"""
LEGACY_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex


@pytest.mark.django_db(transaction=True)
def test_devices_made_by_django_otp_move_over_and_work_with_their_secrets_protected(user):
    created = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    with connection.cursor() as cursor:
        for statement in filter(str.strip, LEGACY_TABLES.split(";")):
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES "
            "(7, %s, 'Phone', %s, %s, 30, 0, 6, 1, 0, 5, NULL, 0, %s, NULL)",
            [user.pk, True, LEGACY_KEY, created],
        )
        cursor.execute(
            "INSERT INTO otp_static_staticdevice VALUES (3, %s, 'Backup', %s, NULL, 0, %s, NULL)",
            [user.pk, True, created],
        )
        cursor.execute(
            "INSERT INTO otp_static_statictoken VALUES (1, 3, 'abcdefgh'), (2, 3, 'ijklmnop')"
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('otp_totp', '0001_initial', %s)",
            [created],
        )
    migration = importlib.import_module("accounts.migrations.0002_move_django_otp_devices")

    with connection.schema_editor() as editor:
        migration.move(apps, editor)

    device = TOTPDevice.objects.get()
    assert (device.user, device.name, device.key, device.last_t) == (user, "Phone", LEGACY_KEY, 5)
    assert device.created_at == created
    assert LEGACY_KEY not in raw("SELECT key FROM accounts_totpdevice")[0]
    assert "abcdefgh" not in str(raw("SELECT digest FROM accounts_recoverycode"))
    assert verify(device, app_code(device, T), T)
    recovery = RecoveryCodeDevice.objects.get(user=user)
    assert verify(recovery, "abcdefgh", T) and not verify(recovery, "abcdefgh", T)
    assert recovery.codes.count() == 1
    tables = set(connection.introspection.table_names())
    assert not tables & {"otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken"}
    assert not raw("SELECT name FROM django_migrations WHERE app = 'otp_totp'")
