"""The register's cached columns on Transfer, generated from one declaration.

Transfer.COPIES declares each copied column (the contract's parties, date, kind and
value, the system's category); from it come:
- the update of a contract's or system's lines after it is saved (signals below);
- transfer_cache_refresh: every copy recomputed in SQL, for bulk writers (imports,
  generated data) and after a line's own save;
- transfer_cache_values: the copies of a new line from records in hand, for bulk inserts;
- transfer_cache_stale: the lines whose copies differ from a recomputation (a check).
The deliveries' total (delivered_sum) and each contract's line count are kept by the
saves and deletes of deliveries and lines.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Contract, Delivery, Transfer


def _related(copy):
    return Transfer._meta.get_field(copy.via).related_model


def _attname(model, name):
    return model._meta.get_field(name).attname


def _copy_value(copy, record):
    value = getattr(record, _attname(_related(copy), copy.source))
    return value == copy.equals if copy.equals is not None else value


def _copy_expression(copy):
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


def _recomputed():
    return {
        **{_attname(Transfer, copy.field): _copy_expression(copy) for copy in Transfer.COPIES},
        "delivered_sum": delivered_sum_subquery(),
    }


def transfer_cache_refresh(*, transfers):
    """Recompute every cached column of these transfers (a queryset) in one UPDATE."""
    return transfers.order_by().update(**_recomputed())


def transfer_cache_values(*, contract, category, delivered_sum):
    """The cached columns of a new transfer, for bulk writers that hold its contract and
    know its system's category."""
    records = {"contract": contract, "system": Transfer._meta.get_field("system").related_model(category=category)}
    values = {_attname(Transfer, copy.field): _copy_value(copy, records[copy.via]) for copy in Transfer.COPIES}
    return {**values, "delivered_sum": delivered_sum}


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


def _copied_record_saved(sender, instance, **kwargs):
    # A contract's or system's lines take its new values; lines already holding them are skipped.
    values = {_attname(Transfer, copy.field): _copy_value(copy, instance) for copy in _copies_of(sender)}
    via = {_attname(Transfer, copy.via) for copy in _copies_of(sender)}.pop()
    Transfer.objects.filter(**{via: instance.pk}).exclude(**values).update(**values)


for _model in {_related(copy) for copy in Transfer.COPIES}:
    post_save.connect(_copied_record_saved, sender=_model, dispatch_uid=f"transfer-copies-{_model._meta.label}")


@receiver(post_save, sender=Delivery)
@receiver(post_delete, sender=Delivery)
def _delivery_changed(sender, instance, **kwargs):
    Transfer.objects.filter(pk=instance.transfer_id).update(delivered_sum=delivered_sum_subquery())
