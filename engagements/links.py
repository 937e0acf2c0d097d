"""Signed, expiring links for emails: snooze a flag for a day, open the week's review,
unsubscribe from one kind of email.

Each purpose has its own salt, so a token made for one can never be used for another, and its own
lifetime. The token carries ids only (never a secret), signed with SECRET_KEY by Django's
TimestampSigner; `read()` refuses a token that was altered, cut short, made for another purpose,
is older than its lifetime, or claims to be made in the future (beyond CLOCK_SKEW).

An action link (snooze) works once: `use_once` records its first use (a digest of the token,
never the token) with what it did, in the transaction that acts, and a link used again gets
that record instead of acting; once the link has expired the record is not needed any more, and
`forget_used` (run with every send-emails pass) deletes it. Unsubscribing may be repeated (it
changes nothing the second time and mail providers retry it); the review link only opens a page.
"""

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from engagements.models import UsedLink

SNOOZE, REVIEW, UNSUBSCRIBE = "snooze", "review", "unsubscribe"
LIFETIME = {
    SNOOZE: timedelta(days=3),  # a digest's flags are stale after a few days
    REVIEW: timedelta(days=14),
    UNSUBSCRIBE: timedelta(days=90),  # unsubscribe links must keep working for a long time
}
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of ours another server's clock may run
URL_NAMES = {
    SNOOZE: "email-link-snooze",
    REVIEW: "email-link-review",
    UNSUBSCRIBE: "email-unsubscribe",
}


class BadLink(Exception):
    """A link that must not be acted on; `expired` tells the two cases apart for the page."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _signer(purpose: str) -> signing.TimestampSigner:
    if purpose not in LIFETIME:
        raise ValueError(f"Unknown link purpose {purpose!r}.")
    return signing.TimestampSigner(salt=f"rapport.email-link.{purpose}")


def make_token(purpose: str, **payload) -> str:
    return _signer(purpose).sign_object(payload)


def read(purpose: str, token: str | None) -> dict:
    """The payload of a valid token, or BadLink."""
    if not token:
        raise BadLink(expired=False)
    try:
        payload = _signer(purpose).unsign_object(token, max_age=LIFETIME[purpose])
    except signing.SignatureExpired:
        raise BadLink(expired=True) from None
    except (signing.BadSignature, ValueError, TypeError):  # altered, truncated, not our JSON
        raise BadLink(expired=False) from None
    if not isinstance(payload, dict):
        raise BadLink(expired=False)
    signed_at = signing.b62_decode(token.rsplit(":", 2)[1])  # authentic: the signature held
    if signed_at > time.time() + CLOCK_SKEW.total_seconds():
        raise BadLink(expired=False)
    return payload


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def first_use(token: str) -> UsedLink | None:
    """The record of the link's first use, or None if it has not been used."""
    return UsedLink.objects.filter(digest=_digest(token)).first()


def use_once(
    purpose: str, token: str, owner_id: int, act: Callable[[], str], now: datetime
) -> tuple[bool, UsedLink]:
    """Run `act` (which returns what it did, in words) on the first use of `token` and record
    it: (True, the record). Any later use, or one racing it, runs nothing: (False, the record
    of the first)."""
    with transaction.atomic():
        used, first = UsedLink.objects.get_or_create(
            digest=_digest(token),
            defaults={"purpose": purpose, "owner_id": owner_id, "used_at": now},
        )
        if first:
            used.outcome = act()[:500]
            used.save(update_fields=["outcome"])
    return first, used


def forget_used(now: datetime) -> int:
    """Delete, in one statement, the records of used links that `read` refuses by now anyway:
    used longer ago than their lifetime plus CLOCK_SKEW (a token is signed before it is used, at
    most CLOCK_SKEW ahead of our clock). How many went."""
    expired = Q(used_at__lt=now - max(LIFETIME.values()) - CLOCK_SKEW)  # whatever the purpose
    for purpose, lifetime in LIFETIME.items():
        expired |= Q(purpose=purpose, used_at__lt=now - lifetime - CLOCK_SKEW)
    deleted, _ = UsedLink.objects.filter(expired).delete()
    return deleted


def absolute(path: str) -> str:
    """An address for an email: SITE_URL + path."""
    return settings.SITE_URL + path


def signed_url(purpose: str, **payload) -> str:
    """The absolute address of the link view for `purpose`, carrying a fresh token."""
    query = urlencode({"t": make_token(purpose, **payload)})
    return absolute(f"{reverse(URL_NAMES[purpose])}?{query}")


def snooze_url(flag) -> str:
    return signed_url(SNOOZE, u=flag.owner_id, f=flag.pk)


def review_url(owner_id: int, week_label: str) -> str:
    return signed_url(REVIEW, u=owner_id, w=week_label)


def unsubscribe_url(owner_id: int, kind: str) -> str:
    return signed_url(UNSUBSCRIBE, u=owner_id, k=kind)
