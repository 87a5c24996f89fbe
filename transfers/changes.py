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

from django.apps import apps
from django.db import connections

from .history import history_channel
from .models import Change, Release

# Every model with a history: a model that gains one is fed once migrate has run.
FED = {
    model._meta.model_name: model
    for model in apps.get_app_config("transfers").get_models()
    if hasattr(model, "history")
}
# Records only editors see (news articles and the drafts read from them are not evidence):
# their changes are served to those who may view them, as their own endpoints are.
EDITORS_ONLY = {"article": "transfers.view_article", "draft": "transfers.view_draft"}
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
_CURSOR = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})")  # ASCII digits: `\d` would take `٠.١` too
_IMPORT_REASON = re.compile(r"SIPRI import of (\S+) export \((\d{4}-\d{2}-\d{2}|undated)\)")
START = (0, 0)


POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION transfers_change_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One statement's new history rows, with the id of the transaction writing them.
    INSERT INTO transfers_change (record_type, history_id, txid)
    SELECT TG_ARGV[0], history_id, pg_current_xact_id()::text::bigint FROM new_rows ORDER BY history_id;
    RETURN NULL;
END
$$
"""


def change_feed_triggers_ensure(*, using="default"):
    """Create the trigger of each history table where it is missing (run after every
    migrate): SQLite rebuilds a table for many schema changes, dropping its triggers, and
    a model that gains a history needs one."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if Change._meta.db_table not in tables:
            return
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        for record_type, model in FED.items():
            table, name = model.history.model._meta.db_table, f"transfers_change_{record_type}"
            if name in present or table not in tables:
                continue
            if connection.vendor == "postgresql":
                # Per statement, over its new rows: an import COPYs a hundred thousand at once.
                cursor.execute(
                    f"CREATE TRIGGER {quote(name)} AFTER INSERT ON {quote(table)} REFERENCING NEW TABLE AS new_rows "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION transfers_change_log('{record_type}')"
                )
            else:
                cursor.execute(  # names from the models' metadata, not from input
                    f"CREATE TRIGGER {quote(name)} AFTER INSERT ON {quote(table)} BEGIN "  # noqa: S608
                    f"INSERT INTO transfers_change (record_type, history_id, txid) "
                    f"VALUES ('{record_type}', NEW.history_id, 0); END"
                )


def change_cursor_parse(*, text):
    """(txid, id) of a cursor "txid.id"; None if malformed."""
    match = _CURSOR.fullmatch(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def change_record_types(*, user):
    """The record types whose changes this user may read."""
    return [name for name in FED if name not in EDITORS_ONLY or user.has_perm(EDITORS_ONLY[name])]


def change_cursor_at(*, moment):
    """The cursor just before the first change (in feed order) made at or after `moment`:
    no change made since is left out; changes of transactions that were under way then may
    come too. None: nothing changed since."""
    first = None
    for record_type, model in FED.items():
        since = model.history.filter(history_date__gte=moment).values("history_id")
        change = (
            Change.objects.filter(record_type=record_type, history_id__in=since)
            .order_by("txid", "pk")
            .values_list("txid", "pk")
            .first()
        )
        if change is not None and (first is None or change < first):
            first = change
    return None if first is None else (first[0], first[1] - 1)


def change_feed_end():
    """The cursor after every change served now: where a client waits for what comes next."""
    changes = Change.objects.all()
    horizon = change_feed_horizon(using=changes.db)
    if horizon is not None:
        changes = changes.filter(txid__lt=horizon)
    last = changes.order_by("-txid", "-pk").values_list("txid", "pk").first()
    return last or START


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
            key = record.natural_key() if hasattr(record, "natural_key") else (record.pk,)
            keys[(record_type, record.pk)] = "/".join(str(part) for part in key)
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
