"""Indexes cost every write (a SIPRI import spent a tenth of its time on unread ones): each
table keeps the indexes something reads, and no index repeats the lead of another."""

from collections import defaultdict

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from transfers.bulk import _planned_columns
from transfers.models import Claim, Contract, Transfer

HISTORY_READ = {("id",), ("history_date",), ("history_user_id",)}


def history_models():
    return [m for m in apps.get_app_config("transfers").get_models() if m.__name__.startswith("Historical")]


def indexes(table):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: tuple(c["columns"]) for name, c in found.items() if c["index"] and not c["primary_key"]}


@pytest.mark.django_db
def test_history_tables_are_indexed_only_as_they_are_read():
    models = history_models()
    assert len(models) == 10
    for model in models:
        # A record's history (by its id), the change feed (by date), a deleted user (by user).
        assert set(indexes(model._meta.db_table).values()) <= HISTORY_READ, model.__name__
        assert ("id",) in indexes(model._meta.db_table).values(), model.__name__


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue (operator classes)")
def test_no_btree_index_repeats_the_lead_of_another():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, t.relname, i.indkey::text, i.indclass::text, i.indisunique
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_am am ON am.oid = c.relam
               WHERE t.relname LIKE 'transfers\\_%%' AND am.amname = 'btree'
                 AND i.indpred IS NULL AND i.indexprs IS NULL"""
        )
        rows = cursor.fetchall()
    by_table = defaultdict(list)
    for name, table, keys, classes, unique in rows:
        by_table[table].append((name, list(zip(keys.split(), classes.split(), strict=True)), unique))
    assert len(by_table) > 20
    repeated = [
        (table, name, other)
        for table, found in by_table.items()
        for name, lead, unique in found
        if not unique
        for other, columns, _ in found
        if other != name and columns[: len(lead)] == lead and (len(columns) > len(lead) or other < name)
    ]
    assert repeated == []


def test_an_import_analyzes_the_columns_queries_plan_on():
    transfer = _planned_columns(Transfer)
    # Keys, foreign keys, and the columns (and conditions) of declared indexes.
    assert {"id", "contract_id", "system_id", "cached_supplier_id", "cached_order_date", "cached_is_arms"} <= set(
        transfer
    )
    assert "comments" not in transfer  # read only through its trigram index
    assert "disputed" in _planned_columns(Contract)  # the condition of contract_disputed
    claim = _planned_columns(Claim)
    assert {"source_id", "assertion_field", "statement"} <= set(claim)
    assert not {"summary", "quote"} & set(claim)


@pytest.mark.migrates_back
@pytest.mark.django_db(transaction=True)
def test_migration_0086_drops_the_indexes_and_keeps_the_constraints_both_ways(latest_schema_after):
    before, after = [("transfers", "0085_system_totals")], [("transfers", "0086_lean_indexes")]

    def schema():
        with connection.cursor() as cursor:
            tables = [t for t in connection.introspection.table_names(cursor) if t.startswith("transfers_")]
            found = {t: connection.introspection.get_constraints(cursor, t) for t in tables}
        keys = {
            (t, tuple(c["columns"]), c["foreign_key"]) for t in found for c in found[t].values() if c["foreign_key"]
        }
        index_columns = {(t, tuple(c["columns"])) for t, cs in found.items() for c in cs.values() if c["index"]}
        return keys, index_columns

    MigrationExecutor(connection).migrate(after)
    keys_after, indexes_after = schema()
    MigrationExecutor(connection).migrate(before)
    keys_before, indexes_before = schema()
    MigrationExecutor(connection).migrate(after)
    assert schema() == (keys_after, indexes_after)
    assert keys_before == keys_after  # every foreign key still checked
    gone = indexes_before - indexes_after
    assert {("transfers_transfer", ("contract_id",)), ("transfers_claim", ("source_id",))} <= gone
    assert ("transfers_historicalclaim", ("contract_id",)) in gone
    assert indexes_after <= indexes_before
