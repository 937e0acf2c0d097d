"""What the dashboard reads from the database, kept in the cache until something changes.

The dashboard refreshes every minute, all day, and between two refreshes usually nothing has
changed: the same clients, the same log, the same flags. So its rows (the clients at a glance
with where their logs stand, and the flag board) are cached per freelancer, stamped with a
version token, and used again while that token is current. What depends on the clock (working
time left, their local time now, the wording) is worked out afresh on every request.

Every write to those rows (and to the freelancer's hours, days off and email status, also kept)
calls `changed(owner_id)`, which replaces the token: model saves and deletes through signals
(connected in EngagementsConfig.ready, with `changed_owner`), and the bulk writes, which send none, by hand (the
evaluation pass, flag transitions, ClientActivity.refresh, saving working hours, pausing and
resuming email). It replaces it at once and again when the transaction commits, so that a page
computed from the rows as they were before the commit is not kept either. Snoozed flags coming
back are the one change without a write: a snapshot is only good until the first of them wakes.
"""

import dataclasses
import hashlib
import logging
import time
import uuid
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

KEPT = timedelta(minutes=15)  # an unused snapshot expires after this


def _version_key(owner_id: int) -> str:
    return f"dashboard:version:{owner_id}"


def changed(owner_id: int) -> None:
    """The owner's dashboard rows changed (or are about to, when the transaction commits)."""
    _new_version(owner_id)
    transaction.on_commit(lambda: _new_version(owner_id))


def _new_version(owner_id: int) -> None:
    _missed.add(owner_id)
    _mark_missed()


def _mark_missed() -> bool:
    """Replace the version of every owner whose change this process has not marked yet; False
    while the cache is down."""
    if _cache_down():
        return False
    owners = set(_missed)
    if not owners:
        return True
    try:
        cache.set_many({_version_key(o): uuid.uuid4().hex for o in owners}, timeout=None)
    except Exception:
        # Reads fail too and compute afresh; another process may serve an old snapshot until
        # it marks the change itself or the snapshot expires (KEPT).
        _trip()
        log.warning("Could not mark the dashboard of users %s as changed", owners, exc_info=True)
        return False
    _missed.difference_update(owners)
    return True


# A cache that is down or hung costs one timeout (config.settings.REDIS_TIMEOUTS), not one per
# call: after a failure this process leaves it alone for OUTAGE_PAUSE, noting whose rows changed
# meanwhile, and marks those before anything else once it reaches the cache again.
OUTAGE_PAUSE = 10.0  # seconds
_down_until = 0.0
_missed: set[int] = set()


def _cache_down() -> bool:
    return time.monotonic() < _down_until


def _trip() -> None:
    global _down_until
    _down_until = time.monotonic() + OUTAGE_PAUSE


def snapshot(user, now: datetime, compute, good_until, *, shape: str):
    """`compute()` for this user, from the cache while its version is current and `now` is
    before `good_until(value)` (None: no such moment). `shape` names the structure of the value
    (see shape_of): a value kept by other code, before a deployment, is never read."""
    # The user's join date in the key: another database's user with the same id (a recreated
    # development database, a shared cache) can never be served this one's rows.
    data_key = f"dashboard:{shape}:{user.pk}:{user.date_joined.timestamp()}"
    version_key = _version_key(user.pk)
    if not _mark_missed():
        return compute()
    try:
        found = cache.get_many([version_key, data_key])
        version = found.get(version_key)
        if version is None:  # first read, or evicted: start one (unless a writer just did)
            cache.add(version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(version_key)
    except Exception:
        _trip()
        log.warning("Dashboard cache unavailable for user %s", user.pk, exc_info=True)
        return compute()
    entry = found.get(data_key)
    if entry is not None:
        kept_version, until, value = entry
        if kept_version == version and (until is None or now < until):
            return value
    value = compute()
    try:
        cache.set(data_key, (version, good_until(value), value), timeout=KEPT.total_seconds())
    except Exception:
        _trip()
        log.warning("Could not keep the dashboard rows of user %s", user.pk, exc_info=True)
    return value


def shape_of(*classes: type) -> str:
    """A digest of where these dataclasses and models live and of their fields, for
    snapshot(shape=…): a class that moves to another module, is renamed or gains a field
    changes the key, so rows pickled by the code before are never read by the code after."""
    names = [
        (
            c.__module__,
            c.__qualname__,
            [f.name for f in dataclasses.fields(c)]
            if dataclasses.is_dataclass(c)
            else [f.attname for f in c._meta.concrete_fields],  # type: ignore[attr-defined]
        )
        for c in classes
    ]
    return hashlib.sha256(repr(names).encode()).hexdigest()[:12]


def changed_owner(sender, instance, **kwargs):
    """Signal receiver: a row the dashboard reads was saved or deleted. Rows with an owner; the
    profile (its user); working windows and days off (their profile's user)."""
    owner_id = getattr(instance, "owner_id", None) or getattr(instance, "user_id", None)
    if owner_id is None and getattr(instance, "profile_id", None):
        owner_id = instance.profile.user_id
    if owner_id:
        changed(owner_id)
