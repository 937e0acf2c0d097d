"""Secrets at rest: encrypted under the first of ENCRYPTION_KEYS, readable under any of them."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from clients import encryption
from clients.encryption import EncryptedTextField

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
field = EncryptedTextField()


def stored(value):
    return field.get_prep_value(value)


def read(token):
    return field.from_db_value(token, None, None)


def test_a_secret_is_stored_encrypted_and_read_back_as_it_was(settings):
    settings.ENCRYPTION_KEYS = [NEW]
    token = stored("app-password ünïcode")
    assert "app-password" not in token
    assert read(token) == "app-password ünïcode"


def test_the_same_secret_is_stored_differently_each_time(settings):
    settings.ENCRYPTION_KEYS = [NEW]
    assert stored("pw") != stored("pw")


def test_no_secret_stays_empty(settings):
    assert stored("") == "" and read("") == ""
    assert stored(None) is None and read(None) is None


def test_after_a_new_key_is_put_in_front_old_secrets_still_read_and_new_ones_use_it(settings):
    settings.ENCRYPTION_KEYS = [OLD]
    old_token = stored("pw")
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    assert read(old_token) == "pw"


def test_reencrypting_moves_a_secret_to_the_first_key_so_the_old_one_can_go(settings):
    settings.ENCRYPTION_KEYS = [OLD]
    token = stored("pw")
    settings.ENCRYPTION_KEYS = [NEW, OLD]
    fresh = encryption.reencrypt(token)
    settings.ENCRYPTION_KEYS = [NEW]
    assert read(fresh) == "pw"
    assert read(token) is None  # the old token needed the old key


def test_a_secret_no_key_opens_reads_as_none_never_as_an_error(settings):
    settings.ENCRYPTION_KEYS = [OLD]
    token = stored("pw")
    settings.ENCRYPTION_KEYS = [NEW]
    assert read(token) is None
    assert read("not a token at all") is None


def test_a_malformed_key_is_named_as_such(settings):
    settings.ENCRYPTION_KEYS = ["too-short"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        stored("pw")


def test_the_command_prints_a_usable_new_key(capsys):
    from django.core.management import call_command

    call_command("reencrypt_secrets", "--new-key")
    Fernet(capsys.readouterr().out.strip().encode())  # raises if it is not a key
