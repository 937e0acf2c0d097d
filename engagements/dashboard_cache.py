"""What the dashboard reads from the database, kept in the cache until something changes.

The dashboard refreshes every minute, all day, and between two refreshes usually nothing has
changed: the same clients, the same log, the same flags. So its rows are cached per freelancer,
in three parts (PARTS) each stamped with its own version token and used again while that token
is current: SETTINGS (working hours, days off, whether email is paused, failing mailboxes),
CLIENTS (the clients at a glance, with where their logs stand) and FLAGS (the flag board). What
depends on the clock (working time left, their local time now, the wording) is worked out afresh
on every request.

Every write to those rows calls `changed(owner_id, *parts)`, which replaces the tokens of the
parts it names (all of them when it names none): model saves and deletes through signals
(connected in EngagementsConfig.ready), and the bulk writes, which send none, by hand (the
evaluation pass, flag transitions, ClientActivity.refresh, saving working hours, pausing and
resuming email). A write to some clients' rows only (their log, their boundaries, their
engagement) says which: `changed(owner_id, clients=ids)` replaces those clients' own tokens and
the ROWS token, and the next load reads just those clients again (decision 0053). Tokens are
replaced at once and again when the transaction commits, so that a page computed from the rows
as they were before the commit is not kept either. Snoozed flags coming back are the one change
without a write: the flag board is only good until the first of them wakes.
"""

import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction

from clients.ownership import owner_of

log = logging.getLogger(__name__)

KEPT = timedelta(minutes=15)  # an unused snapshot expires after this

SETTINGS, CLIENTS, FLAGS = "settings", "clients", "flags"
PARTS = (SETTINGS, CLIENTS, FLAGS)
ROWS = "rows"  # some clients' rows in CLIENTS changed (their own tokens say which)
# Clients share their own tokens in this many groups (by id): a load after a change reads that
# many tokens, not one per client, and reads again the few clients of each changed group.
ROW_GROUPS = 16


def _version_key(owner_id: int, part: str) -> str:
    return f"dashboard:version:{owner_id}:{part}"


def _row_key(owner_id: int, client_id: int) -> str:
    return f"dashboard:rows:{owner_id}:{client_id % ROW_GROUPS}"


def changed(owner_id: int, *parts: str, clients: Iterable[int] = ()) -> None:
    """These parts of the owner's dashboard rows changed (or are about to, when the transaction
    commits): all of them if none is named and no `clients` are given. `clients`: ids of
    clients whose own rows (in CLIENTS) changed, and nothing else of that part."""
    marks = frozenset(parts or (() if clients else PARTS))
    ids = frozenset(clients) if CLIENTS not in marks else frozenset()
    _new_version(owner_id, marks, ids)
    transaction.on_commit(lambda: _new_version(owner_id, marks, ids))


def _new_version(owner_id: int, parts: frozenset[str], clients: frozenset[int]) -> None:
    tokens = {_version_key(owner_id, p): uuid.uuid4().hex for p in parts}
    if clients:
        tokens[_version_key(owner_id, ROWS)] = uuid.uuid4().hex
        tokens |= {_row_key(owner_id, c): uuid.uuid4().hex for c in clients}  # one per group
    if _cache_down():
        _missed.add(owner_id)
        return
    try:
        cache.set_many(tokens, timeout=None)
    except Exception:
        _trip()
        _missed.add(owner_id)
        log.warning("Could not mark the dashboard of user %s as changed", owner_id, exc_info=True)
        return
    _mark_missed()


def _mark_missed() -> bool:
    """Replace every token of every owner whose change this process could not mark yet; False
    while the cache is down."""
    if _cache_down():
        return False
    owners = set(_missed)
    if not owners:
        return True
    try:
        cache.set_many(
            {_version_key(o, p): uuid.uuid4().hex for o in owners for p in PARTS}, timeout=None
        )
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


@dataclasses.dataclass
class Part:
    """How to read one part of the rows: `compute()` reads it all; `good_until(value)` is when
    it stops being good without a write (None: no such moment); `shape` names the structure of
    the value (see shape_of), so that a value kept by other code, before a deployment, is never
    read. For CLIENTS, `rows` is the client ids in a value and `refresh(value, ids)` the value
    with those clients read again (None if it cannot tell: everything is read)."""

    compute: Callable[[], Any]
    shape: str
    good_until: Callable[[Any], datetime | None] = lambda value: None
    rows: Callable[[Any], Collection[int]] | None = None
    refresh: Callable[[Any, set[int]], Any] | None = None


def snapshot(user, now: datetime, parts: dict[str, Part]) -> dict[str, Any]:
    """{name: value} for these parts (named from PARTS), each from the cache while its version
    is current and `now` is before its `good_until`, else computed (and kept)."""
    # The user's join date in the key: another database's user with the same id (a recreated
    # development database, a shared cache) can never be served this one's rows.
    prefix = f"dashboard:{user.pk}:{user.date_joined.timestamp()}"
    data_keys = {name: f"{prefix}:{name}:{part.shape}" for name, part in parts.items()}
    version_keys = {name: _version_key(user.pk, name) for name in (*parts, ROWS)}
    if not _mark_missed():
        return {name: part.compute() for name, part in parts.items()}
    try:
        found = cache.get_many([*version_keys.values(), *data_keys.values()])
        started = [k for k in version_keys.values() if k not in found]
        for key in started:  # first read, or evicted: start one (unless a writer just did)
            cache.add(key, uuid.uuid4().hex, timeout=None)
        if started:
            found |= cache.get_many(started)
    except Exception:
        _trip()
        log.warning("Dashboard cache unavailable for user %s", user.pk, exc_info=True)
        return {name: part.compute() for name, part in parts.items()}
    versions = {name: found.get(key) for name, key in version_keys.items()}
    values, kept = {}, {}
    for name, part in parts.items():
        entry = found.get(data_keys[name])
        version, rows_version = versions[name], versions[ROWS]
        if entry is not None:
            kept_version, kept_rows_version, kept_tokens, until, value = entry
            if kept_version == version and (until is None or now < until):
                if part.rows is None or kept_rows_version == rows_version:
                    values[name] = value
                    continue
                fresh_tokens = _row_tokens(user.pk, kept_tokens)
                if fresh_tokens is not None and part.refresh is not None:
                    stale = {c for c, t in fresh_tokens.items() if kept_tokens.get(c) != t}
                    value = part.refresh(value, stale) if stale else value
                    if value is not None:
                        values[name] = value
                        kept[data_keys[name]] = (
                            version, rows_version, fresh_tokens, until, value
                        )  # fmt: skip
                        continue
        # Read everything. The clients' own tokens are read first (those of the clients kept
        # before; a new client's stays unknown, so it is read again on the next change of any
        # row): a change after this read replaces them, so the rows read below are not kept.
        row_tokens: dict[int, str | None] = {}
        if part.rows is not None and entry is not None:
            row_tokens = _row_tokens(user.pk, part.rows(entry[-1])) or {}
        value = part.compute()
        if part.rows is not None:
            row_tokens = {c: row_tokens.get(c) for c in part.rows(value)}
        values[name] = value
        kept[data_keys[name]] = (version, rows_version, row_tokens, part.good_until(value), value)
    if kept:
        try:
            cache.set_many(kept, timeout=KEPT.total_seconds())
        except Exception:
            _trip()
            log.warning("Could not keep the dashboard rows of user %s", user.pk, exc_info=True)
    return values


def _row_tokens(owner_id: int, client_ids: Iterable[int]) -> dict[int, str | None] | None:
    """The clients' own tokens (their group's), each started if it has none yet; None if the
    cache failed. Read before the rows they stamp."""
    keys = {c: _row_key(owner_id, c) for c in client_ids}
    if _cache_down():
        return None
    try:
        found = cache.get_many(set(keys.values()))
        # Started with set, not add: it may replace a token a writer set a moment ago, but the
        # rows are read after this, so they are at least as new as that writer's.
        started = {k: uuid.uuid4().hex for k in set(keys.values()) if k not in found}
        if started:
            cache.set_many(started, timeout=None)
            found |= started
    except Exception:
        _trip()
        log.warning("Dashboard cache unavailable for user %s", owner_id, exc_info=True)
        return None
    return {c: found.get(k) for c, k in keys.items()}


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


# Signal receivers: a row the dashboard reads was saved or deleted.


def changed_owner(sender, instance, **kwargs):
    """Every part (a deletion, whose cascade may reach any of them; the profile)."""
    if owner_id := owner_of(instance):
        changed(owner_id)


def changed_settings(sender, instance, **kwargs):
    if owner_id := owner_of(instance):
        changed(owner_id, SETTINGS)


def changed_clients(sender, instance, **kwargs):
    """A client saved: its name orders the list, so the whole part."""
    if owner_id := owner_of(instance):
        changed(owner_id, CLIENTS)


def changed_client_row(sender, instance, **kwargs):
    """A row about one client (its boundaries, an engagement): that client's row."""
    if owner_id := owner_of(instance):
        changed(owner_id, clients=[instance.client_id])


def changed_flags(sender, instance, **kwargs):
    if owner_id := owner_of(instance):
        changed(owner_id, FLAGS)
