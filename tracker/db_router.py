"""Reads to PostgreSQL replicas, writes to the primary (DATABASE_REPLICA_URLS).

Read-your-writes: once a request has written (or is a POST/PUT/PATCH/DELETE, or
is inside a transaction), its reads go to the primary too, so a client never
reads an older version than the one it just wrote. Sessions, users, tokens and
lockouts are always read from the primary.

A client reads its own write on its next requests too: a request that wrote answers
with a short-lived cookie holding the primary's WAL position after the write, and that
client's reads stay on the primary until a replica has replayed that far (or the
cookie expires, after the lag bound plus one check interval, by when every replica in
use has replayed it). Clients that keep no cookies get this within a request only.

Replicas are measured, not trusted: each process checks each replica at most every
DATABASE_REPLICA_CHECK_SECONDS (one small query) and skips one that cannot be
reached (retried after DATABASE_REPLICA_RETRY_SECONDS), is not streaming from the
primary, or has fallen further behind than DATABASE_REPLICA_MAX_LAG_SECONDS; its
reads go to the primary, and the client sees no error. Without replicas none of
this runs.
"""

import contextvars
import logging
import math
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError, connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

_use_primary = contextvars.ContextVar("use_primary", default=False)
# This request wrote data a client reads back (not sessions, users or the cache).
_wrote = contextvars.ContextVar("wrote", default=False)
# The replica this request reads from, once chosen: one server per request, so its reads
# never step back in time between queries.
_pinned = contextvars.ContextVar("pinned_replica", default=None)
# The WAL position (bytes) this client's own last write reached; 0: none.
_must_see = contextvars.ContextVar("must_see_lsn", default=0)

PRIMARY_ONLY_APPS = {"sessions", "auth", "authtoken", "axes", "admin", "contenttypes"}
# Django's database cache (rate-limit counters, cached counts): on the primary, shared by
# every worker and host; its writes are bookkeeping, not the request's data, so they do
# not move the request's reads off the replicas.
CACHE_APP = "django_cache"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WROTE_COOKIE = "tracker_wrote_lsn"

# One query: is it a standby, how far has it replayed, is it receiving from the primary,
# and how many seconds behind it is. Caught up with all it has received: 0; else the age
# of the last transaction it replayed (an over-estimate after an idle spell: safe).
PROBE_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn() - '0/0'::pg_lsn,
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END
"""


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    recheck_at: float  # time.monotonic() after which it is measured again
    replay_lsn: int | None = None  # bytes of WAL replayed; None: not a standby, not comparable
    lag: float | None = None  # seconds
    reason: str = ""


_states: dict[str, ReplicaState] = {}


def replicas():
    return list(getattr(settings, "DATABASE_REPLICAS", []))


def reset_replica_states():
    _states.clear()


@receiver(setting_changed)
def _replica_settings_changed(setting, **kwargs):
    if setting.startswith("DATABASE"):
        reset_replica_states()


def _close_quietly(connection):
    try:
        connection.close()
    except DatabaseError:
        pass


def probe(alias):
    """Measure one replica through this thread's connection to it (which its reads then reuse)."""
    now = time.monotonic()
    check = settings.DATABASE_REPLICA_CHECK_SECONDS
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return ReplicaState(True, now + check, reason="not PostgreSQL: not measured")
    try:
        with connection.cursor() as cursor:
            cursor.execute(PROBE_SQL)
            in_recovery, replay_lsn, receiving, lag = cursor.fetchone()
    except DatabaseError as error:
        _close_quietly(connection)
        return ReplicaState(False, now + settings.DATABASE_REPLICA_RETRY_SECONDS, reason=f"unreachable: {error}")
    if not in_recovery:
        # A logical replica (or a test alias of the primary): no replay to measure.
        return ReplicaState(True, now + check, reason="not a standby: not measured")
    replay_lsn = int(replay_lsn) if replay_lsn is not None else None
    lag = float(lag) if lag is not None else None
    if not receiving:
        return ReplicaState(False, now + check, replay_lsn, lag, "not streaming from the primary")
    if lag is None or lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return ReplicaState(False, now + check, replay_lsn, lag, "lagging")
    return ReplicaState(True, now + check, replay_lsn, lag)


def replica_state(alias):
    """The replica's last measurement, measured again when older than the check interval."""
    state = _states.get(alias)
    if state is None or time.monotonic() >= state.recheck_at:
        previous, state = state, probe(alias)
        _states[alias] = state
        if previous is None or previous.usable != state.usable:
            if state.usable:
                logger.info("replica %s in use: %s", alias, state.reason or f"{state.lag:.1f}s behind")
            else:
                lag = f" ({state.lag:.1f}s behind)" if state.lag is not None else ""
                logger.warning("replica %s skipped: %s%s", alias, state.reason, lag)
    return state


def _connected(alias):
    """Connect, or health-check the open connection, as its first query would: a replica
    that went down since it was measured is skipped rather than failing the request."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        return True
    except DatabaseError as error:
        _close_quietly(connection)
        _states[alias] = ReplicaState(
            False, time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS, reason=f"unreachable: {error}"
        )
        logger.warning("replica %s skipped: unreachable: %s", alias, error)
        return False


def _has_replayed(state, lsn):
    return not lsn or (state.replay_lsn is not None and state.replay_lsn >= lsn)


def replica_for_read():
    """A usable replica for this request's reads (the same one throughout), or None."""
    must_see = _must_see.get()
    pinned = _pinned.get()
    if pinned is not None and pinned in settings.DATABASE_REPLICAS:
        state = replica_state(pinned)
        if state.usable and _has_replayed(state, must_see):
            return pinned
        _pinned.set(None)
    candidates = replicas()
    random.shuffle(candidates)
    for alias in candidates:
        before = _states.get(alias)
        state = replica_state(alias)
        if not state.usable or not _has_replayed(state, must_see):
            continue
        # A fresh measurement has just used the connection; an older one is checked.
        if state is before and not _connected(alias):
            continue
        _pinned.set(alias)
        return alias
    return None


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            not settings.DATABASE_REPLICAS
            or model._meta.app_label == CACHE_APP
            or _use_primary.get()
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections["default"].in_atomic_block
        ):
            return "default"
        return replica_for_read() or "default"

    def db_for_write(self, model, **hints):
        app_label = model._meta.app_label
        if app_label != CACHE_APP:
            _use_primary.set(True)
            if app_label not in PRIMARY_ONLY_APPS:
                _wrote.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # replicas hold the same data as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


# The end of the WAL written so far, in bytes: a standby whose pg_last_wal_replay_lsn() has
# reached it has replayed every commit before. At a page boundary the insert position is
# reported past the next page's header (24 bytes; 40 at a segment's start), where no
# record ends: counted back to the boundary, or an idle primary's standby never gets there.
WAL_POSITION_SQL = """
SELECT position - CASE
           WHEN position % pg_size_bytes(current_setting('wal_segment_size')) = 40 THEN 40
           WHEN position % current_setting('wal_block_size')::int = 24 THEN 24
           ELSE 0 END
FROM (SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS position) AS wal
"""


def primary_wal_position():
    """The primary's WAL position (bytes) after this request's writes, or None if unknown."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(WAL_POSITION_SQL)
            return int(cursor.fetchone()[0])
    except DatabaseError:
        return None


def _cookie_lsn(request):
    value = request.COOKIES.get(WROTE_COOKIE, "")
    if not value:
        return 0
    # Anything but a WAL position (unknown, or tampered with): the primary, while it lasts.
    return int(value) if value.isdigit() and len(value) <= 20 else math.inf


def remember_write(response):
    """The client's next requests read from the primary until a replica has this write."""
    lsn = primary_wal_position()
    response.set_cookie(
        WROTE_COOKIE,
        str(lsn) if lsn is not None else "-",
        # By then every replica in use has replayed it: its lag was within the bound when
        # last measured, at most one check interval ago.
        max_age=math.ceil(settings.DATABASE_REPLICA_MAX_LAG_SECONDS + settings.DATABASE_REPLICA_CHECK_SECONDS),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ReadYourWritesMiddleware:
    """Each request starts on the replicas; writing requests stay on the primary; a client
    that wrote reads from the primary until a replica has its write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with_replicas = bool(settings.DATABASE_REPLICAS)
        tokens = [
            (_use_primary, _use_primary.set(request.method not in SAFE_METHODS)),
            (_wrote, _wrote.set(False)),
            (_pinned, _pinned.set(None)),
            (_must_see, _must_see.set(_cookie_lsn(request) if with_replicas else 0)),
        ]
        try:
            response = self.get_response(request)
            if with_replicas and _wrote.get():
                remember_write(response)
            return response
        finally:
            for var, token in reversed(tokens):
                var.reset(token)
