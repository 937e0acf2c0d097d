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
    try:
        cache.set(_version_key(owner_id), uuid.uuid4().hex, timeout=None)
    except Exception:
        # The cache is down: reads fail too and compute afresh; should it come back with an old
        # snapshot, that one is at most KEPT old.
        log.warning("Could not mark the dashboard of user %s as changed", owner_id, exc_info=True)


def snapshot(user, now: datetime, compute, good_until, *, shape: str):
    """`compute()` for this user, from the cache while its version is current and `now` is
    before `good_until(value)` (None: no such moment). `shape` names the structure of the value
    (see shape_of): a value kept by other code, before a deployment, is never read."""
    # The user's join date in the key: another database's user with the same id (a recreated
    # development database, a shared cache) can never be served this one's rows.
    data_key = f"dashboard:{shape}:{user.pk}:{user.date_joined.timestamp()}"
    version_key = _version_key(user.pk)
    try:
        found = cache.get_many([version_key, data_key])
        version = found.get(version_key)
        if version is None:  # first read, or evicted: start one (unless a writer just did)
            cache.add(version_key, uuid.uuid4().hex, timeout=None)
            version = cache.get(version_key)
    except Exception:
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
