"""Two-factor sign-in devices: django-otp's Device, with the secrets protected at rest.

django-otp's own TOTPDevice keeps its key in plain hex, and its StaticToken the recovery codes in
clear. These verify exactly as django-otp's do (its TOTP with tolerance and drift, a code's time
step accepted once, its exponential throttling after wrong codes), and every part of django-otp
that looks devices up (its middleware, `django_otp.login`, `devices_for_user`) finds them, but
the TOTP key is stored encrypted (EncryptedTextField, under ENCRYPTION_KEYS, so `manage.py
reencrypt_secrets` rotates it) and each recovery code as its SHA-256 only
(docs/decisions/0025-two-factor-secrets-at-rest.md).
"""

import hashlib
import secrets
import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from clients.encryption import EncryptedTextField

RECOVERY_CODES = 10  # made at a time
THROTTLING = ["throttling_failure_timestamp", "throttling_failure_count"]


class ThrottledDevice(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]
    """A device whose wrong codes make the next try wait 1, 2, 4, 8… seconds (django-otp's
    ThrottlingMixin). Writes name their columns: a save never rewrites the secret."""

    class Meta(Device.Meta):  # type: ignore[misc]
        abstract = True

    def refused(self) -> bool:
        """Count a wrong code; False, for verify_token to return."""
        self.throttle_increment(commit=False)
        self.save(update_fields=THROTTLING)
        return False


def default_key() -> str:
    return str(random_hex(20))


class TOTPDevice(ThrottledDevice):
    """An authenticator app: RFC 6238 codes from a shared key, stored encrypted (hex inside)."""

    key = EncryptedTextField(
        default=default_key,
        help_text="The key shared with the authenticator app (20 bytes, hex), encrypted.",
    )
    step = models.PositiveSmallIntegerField(default=30, help_text="The time step in seconds.")
    t0 = models.BigIntegerField(default=0, help_text="The Unix time at which steps start.")
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(
        default=1, help_text="How many time steps before or after now a code may be from."
    )
    drift = models.SmallIntegerField(
        default=0, help_text="How many time steps the app's clock is known to be off."
    )
    last_t = models.BigIntegerField(
        default=-1, help_text="The time step of the last code accepted: the next must be later."
    )

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "TOTP device"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    @property
    def bin_key(self) -> bytes | None:
        """The key, or None when no key of ENCRYPTION_KEYS opens it (the app must be set up
        again; recovery codes still work)."""
        return unhexlify(self.key) if self.key else None

    @property
    def base32_key(self) -> str:
        """The key as an authenticator app takes it when typed in."""
        return b32encode(self.bin_key or b"").decode()

    @property
    def config_url(self) -> str:
        """The otpauth:// address the QR code carries."""
        issuer = str(settings.OTP_TOTP_ISSUER).replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        query = urlencode(
            {
                "secret": self.base32_key,
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
                "issuer": issuer,
            },
            quote_via=quote,
        )
        return f"otpauth://totp/{label}?{query}"

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(token)
        except (TypeError, ValueError):
            return self.refused()
        key = self.bin_key
        if key is None:
            return self.refused()
        totp = TOTP(key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if not totp.verify(code, self.tolerance, self.last_t + 1):
            return self.refused()
        accepted = {
            "last_t": totp.t(),
            "throttling_failure_timestamp": None,
            "throttling_failure_count": 0,
            "last_used_at": timezone.now(),
        }
        if getattr(settings, "OTP_TOTP_SYNC", True):
            accepted["drift"] = totp.drift
        # The time step is taken only if no other sign-in took it, or a later one, meanwhile: of
        # two racing with the same code, one wins.
        if not TOTPDevice.objects.filter(pk=self.pk, last_t__lt=totp.t()).update(**accepted):
            return self.refused()
        for name, value in accepted.items():
            setattr(self, name, value)
        return True


def new_recovery_code() -> str:
    """80 random bits, as four groups of four base32 letters and digits: xxxx-xxxx-xxxx-xxxx."""
    code = b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code: the SHA-256 of it as typed, less spaces, dashes and
    case. The codes are random and long enough that no key is needed."""
    typed = "".join(str(code).split()).replace("-", "").lower()
    return hashlib.sha256(typed.encode()).hexdigest()


class RecoveryCodeDevice(ThrottledDevice):
    """A user's single-use recovery codes, for when the phone is not at hand."""

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"
        constraints = [models.UniqueConstraint(fields=["user"], name="one_recovery_device")]

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        # Using a code deletes it: of two sign-ins racing with one code, one deletes the row.
        used, _ = RecoveryCode.objects.filter(device=self, digest=recovery_digest(token)).delete()
        if not used:
            return self.refused()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=[*THROTTLING, "last_used_at"])
        return True

    @classmethod
    def issue(cls, user: Any) -> list[str]:
        """New recovery codes for `user`, replacing any earlier ones: returned to be shown once,
        stored only as digests."""
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        with transaction.atomic():
            device, _ = cls.objects.get_or_create(user=user, defaults={"name": "Recovery codes"})
            RecoveryCode.objects.filter(device=device).delete()
            RecoveryCode.objects.bulk_create(
                RecoveryCode(device=device, digest=recovery_digest(code)) for code in codes
            )
        return codes

    @staticmethod
    def codes_left(user: Any) -> int:
        return RecoveryCode.objects.filter(device__user=user).count()


class RecoveryCode(models.Model):
    """One unused recovery code, as its SHA-256."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the code; the code is not kept.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="one_row_per_recovery_code")
        ]

    def __str__(self) -> str:
        return f"Recovery code {self.digest[:8]}… of {self.device}"
