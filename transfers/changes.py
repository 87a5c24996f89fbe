"""The change feed: every history entry of every record, for clients that keep a copy in
sync (/api/changes/). Database triggers on the history tables index each entry in
Change (migration 0033), including those bulk writers COPY.

No change missed or repeated, even while writes happen: entries are served in (txid, id)
order and a cursor is the last one served. On PostgreSQL only entries of transactions
older than the oldest still in progress are served (pg_snapshot_xmin): an entry of a
transaction that commits late has a txid at or above that horizon, so it is served
after it commits and before anything of a later transaction; any transaction still to
write gets a txid above every one served. On SQLite writes are serialised, so the order
of ids is the order of commits (txid 0).
"""

import datetime
import re
from decimal import Decimal

from django.db import connections

from .history import history_channel
from .models import Actor, Change, Claim, Contract, Delivery, Person, Release, Source, Transfer, WeaponSystem

FED = {
    "actor": Actor,
    "person": Person,
    "weaponsystem": WeaponSystem,
    "contract": Contract,
    "transfer": Transfer,
    "delivery": Delivery,
    "source": Source,
    "claim": Claim,
}
KINDS = {"+": "created", "~": "updated", "-": "deleted"}
# The field a deleted record's key is read from, in its last history entry.
OWN_KEY = {
    "actor": "code",
    "person": "slug",
    "weaponsystem": "slug",
    "contract": "reference",
    "source": "key",
    "claim": "key",
}
# Related records a key is built from (Transfer: its contract's reference and its line).
KEY_JOINS = {"transfer": ["contract"], "delivery": ["transfer__contract"]}
_CURSOR = re.compile(r"(\d{1,18})\.(\d{1,18})")
_IMPORT_REASON = re.compile(r"SIPRI import of (\S+) export \((\d{4}-\d{2}-\d{2}|undated)\)")
START = (0, 0)


def change_cursor_parse(*, text):
    """(txid, id) of a cursor "txid.id"; None if malformed."""
    match = _CURSOR.fullmatch(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def change_cursor(*, txid, pk):
    return f"{txid}.{pk}"


def change_feed_horizon(*, using="default"):
    """The txid below which every transaction has ended (PostgreSQL); None on SQLite."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


def change_feed_page(*, after=START, limit=50, record_types=None):
    """The changes after the cursor `after`, oldest first: (entries, next cursor, more)."""
    changes = Change.objects.all()
    horizon = change_feed_horizon(using=changes.db)
    txid, pk = after
    # A row comparison, which the (txid, id) index answers as a range (an OR of the two
    # conditions made PostgreSQL walk the index from the start).
    changes = changes.extra(where=['("txid", "id") > (%s, %s)'], params=[txid, pk])  # noqa: S610
    if horizon is not None:
        changes = changes.filter(txid__lt=horizon)
    if record_types:
        changes = changes.filter(record_type__in=record_types)
    rows = list(changes.order_by("txid", "pk")[: limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    cursor = change_cursor(txid=rows[-1].txid, pk=rows[-1].pk) if rows else change_cursor(txid=txid, pk=pk)
    return _entries(rows), cursor, more


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _entries(rows):
    history, keys = {}, {}
    for record_type in {row.record_type for row in rows}:
        model = FED[record_type]
        history_model = model.history.model
        ids = [row.history_id for row in rows if row.record_type == record_type]
        for entry in history_model.objects.filter(history_id__in=ids):
            history[(record_type, entry.history_id)] = entry
        pks = {history[k].id for k in history if k[0] == record_type}
        records = model._base_manager.filter(pk__in=pks).select_related(*KEY_JOINS.get(record_type, []))
        for record in records:
            keys[(record_type, record.pk)] = "/".join(str(part) for part in record.natural_key())
    releases = {}
    entries = []
    for row in rows:
        entry = history.get((row.record_type, row.history_id))
        if entry is None:
            continue  # a history entry deleted since (history is never pruned here)
        model = FED[row.record_type]
        tracked = model.history.model.tracked_fields
        key = keys.get((row.record_type, entry.id))
        if key is None and row.record_type in OWN_KEY:
            key = getattr(entry, OWN_KEY[row.record_type])
        reason = entry.history_change_reason or ""
        channel = history_channel(reason)
        release = None
        match = _IMPORT_REASON.match(reason) if channel == "import" else None
        if match:
            if match.groups() not in releases:
                format_, generated = match.groups()
                found = Release.objects.filter(
                    format=format_, generated=None if generated == "undated" else generated
                ).order_by("pk")
                releases[match.groups()] = found.values_list("pk", flat=True).first()
            release = releases[match.groups()]
        entries.append(
            {
                "cursor": change_cursor(txid=row.txid, pk=row.pk),
                "record_type": row.record_type,
                "id": entry.id,
                "key": key,
                "kind": KINDS.get(entry.history_type, entry.history_type),
                "channel": channel,
                "release": release,
                "date": entry.history_date,
                "values": {field.attname: _plain(getattr(entry, field.attname)) for field in tracked},
            }
        )
    return entries
