"""The register's cached columns on Transfer (named `cached_...`), generated from one declaration.

They are copies, kept here: no other code writes them (bulk writers call the functions
below). Transfer.COPIES declares each copied column (the contract's parties, date, kind,
value and release, the system's category; the sort keys: the parties' codes, the
system's designation); from it come:
- the update of a contract's, system's or actor's lines after it is saved (signals below);
- transfer_cache_refresh: every copy recomputed in SQL, for bulk writers (imports,
  generated data) and after a line's own save;
- transfer_cache_values: the copies of a new line from records in hand, for bulk inserts
  (the others, the sort keys, are looked up per batch as bulk_insert inserts them);
- transfer_cache_stale: the lines whose copies differ from a recomputation (a check).
What the deliveries give (their total, cached_delivered_sum; whether one is dated before the
deal's order, cached_delivered_before_order) is kept by the saves and deletes of deliveries,
bulk inserts of them and saves of the contract's order date; each contract's line count by
the saves and deletes of lines.
"""

from functools import cache
from types import SimpleNamespace

from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.db.models.sql import UpdateQuery
from django.dispatch import receiver

from .bulk import rows_inserted, rows_inserting
from .models import Contract, Delivery, Transfer
from .selectors import delivery_before_order_q


def _related(copy):
    return Transfer._meta.get_field(copy.via).related_model


def _attname(model, name):
    return model._meta.get_field(name).attname


def _copy_value(copy, record):
    return _copied(record, _attname(_related(copy), copy.source), copy.equals)


def _through(copy):
    """The copy whose field is this copy's `via` (a copied foreign key: the contract's
    party), or None when `via` is the transfer's own."""
    return next((other for other in Transfer.COPIES if other.field == copy.via), None)


def _copy_expression(copy):
    through = _through(copy)
    if through is not None:
        # From the record the foreign key is copied from, so that one UPDATE that changes
        # the key (the contract's supplier) also gets the value it leads to (its code).
        records = _related(through)._base_manager.filter(pk=OuterRef(_attname(Transfer, through.via)))
        return Subquery(records.values(f"{through.source}__{copy.source}")[:1])
    model = _related(copy)
    records = model._base_manager.filter(pk=OuterRef(_attname(Transfer, copy.via)))
    if copy.equals is not None:
        return Exists(records.filter(**{copy.source: copy.equals}))
    return Subquery(records.values(_attname(model, copy.source))[:1])


def _copies_of(model):
    return [copy for copy in Transfer.COPIES if _related(copy) is model]


def delivered_sum_subquery():
    return Subquery(
        Delivery.objects.filter(transfer=OuterRef("pk"))
        .order_by()
        .values("transfer")
        .annotate(total=Sum("quantity"))
        .values("total")[:1]
    )


def delivered_before_order_exists():
    """Whether a line has a delivery dated before its deal's order (the rule's one definition,
    selectors.delivery_before_order_q), for an UPDATE of the lines: true, or null when none
    is (a new line's default, so that only the few lines that are need writing)."""
    return Case(When(_early_delivery(), then=Value(True)), default=Value(None), output_field=BooleanField())


def _early_delivery():
    # The line's deliveries by its key and its deal's order by the deal's key, each read
    # through an index: not joined. A batch's lines joined to every delivery and line of
    # the register, planned on the statistics of nearly empty tables, ran for minutes.
    order = Contract._base_manager.filter(pk=OuterRef(OuterRef("contract_id"))).order_by()
    rule = delivery_before_order_q(
        order_date=Subquery(order.values("order_date")[:1], output_field=DateField()),
        order_precision=Subquery(order.values("order_date_precision")[:1], output_field=CharField()),
    )
    return Exists(Delivery._base_manager.filter(rule, transfer=OuterRef("pk")))


def _of_deliveries():
    return {
        "cached_delivered_sum": delivered_sum_subquery(),
        "cached_delivered_before_order": delivered_before_order_exists(),
    }


def _recomputed():
    return {
        **{_attname(Transfer, copy.field): _copy_expression(copy) for copy in Transfer.COPIES},
        **_of_deliveries(),
    }


def transfer_cache_refresh(*, transfers):
    """Recompute every cached column of these transfers (a queryset) in one UPDATE."""
    return transfers.order_by().update(**_recomputed())


def _in_hand(copy):
    """Whether bulk writers hold the copy's record: the contract, and the system's category."""
    return copy.via == "contract" or (copy.via, copy.source) == ("system", "category")


def transfer_cache_values(*, contract, category, cached_delivered_sum):
    """The cached columns of a new transfer, for bulk writers that hold its contract and
    know its system's category. The others (sort keys: codes, designation) are looked up
    for the whole batch when bulk_insert inserts it (below)."""
    records = {"contract": contract, "system": SimpleNamespace(category=category)}
    values = {name: _copied(records[via], source, equals) for name, via, source, equals in _in_hand_copies()}
    return {**values, "cached_delivered_sum": cached_delivered_sum}


@cache
def _in_hand_copies():
    # Resolved once: a bulk writer asks for every new line (field, via, source attnames, equals).
    return [
        (_attname(Transfer, copy.field), copy.via, _attname(_related(copy), copy.source), copy.equals)
        for copy in Transfer.COPIES
        if _in_hand(copy)
    ]


def _copied(record, source, equals):
    value = getattr(record, source)
    return value == equals if equals is not None else value


@receiver(rows_inserting, sender=Transfer)
def _transfers_inserting(sender, rows, **kwargs):
    """New lines of a bulk writer: the copies of records it does not hold, one query per
    copy for the batch (after the contract's copies, which give the parties)."""
    for copy in Transfer.COPIES:
        if _in_hand(copy):
            continue
        via = _attname(Transfer, copy.via)
        ids = {getattr(row, via) for row in rows} - {None}
        found = dict(_related(copy)._base_manager.filter(pk__in=ids).values_list("pk", copy.source))
        for row in rows:
            setattr(row, _attname(Transfer, copy.field), found.get(getattr(row, via)))


def transfer_cache_stale(*, transfers):
    """The ids of the transfers (of a queryset) whose cached columns differ from what a
    recomputation gives: empty when the copies are right."""
    recomputed = _recomputed()
    names = list(recomputed)
    rows = transfers.order_by().annotate(**{f"expected_{name}": value for name, value in recomputed.items()})
    values = rows.values_list("pk", *names, *(f"expected_{name}" for name in names))
    return [row[0] for row in values.iterator() if row[1 : 1 + len(names)] != row[1 + len(names) :]]


def contract_line_count_refresh(*, contract_ids):
    """Recount the lines of these contracts in one UPDATE."""
    lines = (
        Transfer.objects.filter(contract=OuterRef("pk"))
        .order_by()
        .values("contract")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Contract.objects.filter(pk__in=[pk for pk in contract_ids if pk is not None]).update(
        line_count=Coalesce(Subquery(lines[:1]), 0, output_field=IntegerField())
    )


@receiver(pre_save, sender=Transfer)
def _transfer_saving(sender, instance, **kwargs):
    # A line moved to another contract changes the line counts of both.
    instance._stored_contract_id = (
        Transfer.objects.filter(pk=instance.pk).values_list("contract_id", flat=True).first() if instance.pk else None
    )


@receiver(post_save, sender=Transfer)
def _transfer_saved(sender, instance, created, **kwargs):
    # Recomputed from the database after every save, so a save made from a stale
    # instance cannot leave stale copies behind.
    transfer_cache_refresh(transfers=Transfer.objects.filter(pk=instance.pk))
    stored = getattr(instance, "_stored_contract_id", None)
    if created or stored != instance.contract_id:
        contract_line_count_refresh(contract_ids={instance.contract_id, stored})


@receiver(post_delete, sender=Transfer)
def _transfer_deleted(sender, instance, **kwargs):
    contract_line_count_refresh(contract_ids={instance.contract_id})


def _copied_values(sender, instance):
    return tuple(getattr(instance, _attname(sender, source)) for source in _sources_of(sender))


def _sources_of(model):
    return sorted({copy.source for copy in _copies_of(model)})


def _copied_record_saving(sender, instance, raw=False, **kwargs):
    # The copied values as stored, so that a save that changes none of them (an actor's
    # notes; `load_countries` again on a full register) updates no lines.
    instance._copied_stored = None
    if instance.pk is not None and not raw:
        instance._copied_stored = sender._base_manager.filter(pk=instance.pk).values_list(*_sources_of(sender)).first()


def _copied_record_saved(sender, instance, created=False, **kwargs):
    # A contract's, system's or actor's lines take its new values; lines already holding
    # them are skipped. An actor is copied through two keys (supplier, recipient): per key.
    if created or getattr(instance, "_copied_stored", None) == _copied_values(sender, instance):
        return  # a new record has no lines yet; unchanged values need no update
    by_via = {}
    for copy in _copies_of(sender):
        by_via.setdefault(copy.via, []).append(copy)
    for via, copies in by_via.items():
        values = {_attname(Transfer, copy.field): _copy_value(copy, instance) for copy in copies}
        lines = Transfer.objects.filter(**{_attname(Transfer, via): instance.pk})
        changed = lines.exclude(**values).update(**values)
        # Copies through a key just changed (a contract's new supplier: its code) follow it.
        fields = {copy.field for copy in copies}
        following = [copy for copy in Transfer.COPIES if copy.via in fields]
        if changed and following:
            lines.update(**{_attname(Transfer, copy.field): _copy_expression(copy) for copy in following})


for _model in {_related(copy) for copy in Transfer.COPIES}:
    pre_save.connect(_copied_record_saving, sender=_model, dispatch_uid=f"transfer-copies-pre-{_model._meta.label}")
    post_save.connect(_copied_record_saved, sender=_model, dispatch_uid=f"transfer-copies-{_model._meta.label}")


@receiver(pre_save, sender=Delivery)
def _delivery_saving(sender, instance, raw=False, **kwargs):
    # A delivery moved to another line changes what both lines' deliveries give.
    instance._stored_transfer_id = None
    if instance.pk is not None and not raw:
        instance._stored_transfer_id = (
            Delivery._base_manager.filter(pk=instance.pk).values_list("transfer_id", flat=True).first()
        )


@receiver(post_save, sender=Delivery)
@receiver(post_delete, sender=Delivery)
def _delivery_changed(sender, instance, **kwargs):
    lines = {instance.transfer_id, getattr(instance, "_stored_transfer_id", None)} - {None}
    _lines_locked(Transfer.objects.filter(pk__in=lines))
    sql, params = _line_update_sql(router.db_for_write(Transfer))
    with connections[router.db_for_write(Transfer)].cursor() as cursor:
        for line in lines:
            cursor.execute(sql, [*params, line])


def _lines_locked(lines):
    """Lock these lines before recomputing them: a transaction that changed what they keep
    (a delivery, the deal's order) and holds them is then committed before the next
    statement reads it, so the last of two writes at once recomputes from both. (An UPDATE
    that waits for a row reads the rest with its own, older snapshot.)"""
    connection = connections[router.db_for_write(Transfer)]
    if connection.in_atomic_block:
        list(lines.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


# An id no line has: the place of the line's id among the compiled UPDATE's parameters.
_ANY_LINE = -7_270_101


@cache
def _line_update_sql(using):
    """SQL of the UPDATE of one line's columns from its deliveries (_of_deliveries), its id
    the last parameter: compiled once per process, not per delivery saved or deleted (5.8
    ms each, which an import's thousands of replaced deliveries took 16 s of)."""
    query = Transfer._base_manager.filter(pk=_ANY_LINE).query.chain(UpdateQuery)
    query.add_update_values(_of_deliveries())
    sql, params = query.get_compiler(using).as_sql()
    assert params[-1] == _ANY_LINE and _ANY_LINE not in params[:-1], params
    return sql, list(params[:-1])


@receiver(rows_inserted, sender=Delivery)
def _deliveries_inserted(sender, rows, **kwargs):
    # A bulk writer's new deliveries (imports, generated data): the lines they make
    # delivered before their order, the few that are; the others keep theirs (a new
    # delivery cannot make a line's early delivery later). Their totals are the writer's.
    lines = Transfer.objects.filter(pk__in={row.transfer_id for row in rows})
    lines.exclude(cached_delivered_before_order=True).filter(_early_delivery()).update(
        cached_delivered_before_order=True
    )


@receiver(pre_save, sender=Contract)
def _order_saving(sender, instance, raw=False, **kwargs):
    instance._stored_order = None
    if instance.pk is not None and not raw:
        instance._stored_order = (
            Contract._base_manager.filter(pk=instance.pk).values_list("order_date", "order_date_precision").first()
        )


@receiver(post_save, sender=Contract)
def _order_saved(sender, instance, created=False, **kwargs):
    # Another order date, or precision: which of its lines' deliveries are before it.
    if created or getattr(instance, "_stored_order", None) == (instance.order_date, instance.order_date_precision):
        return
    lines = Transfer.objects.filter(contract_id=instance.pk)
    _lines_locked(lines)
    lines.update(cached_delivered_before_order=delivered_before_order_exists())
