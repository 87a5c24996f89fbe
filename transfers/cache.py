"""The register's cached columns on Transfer: copies of its contract's parties, date,
kind and value, its system's category, and its deliveries' total; and each contract's
number of lines.

Saves through the ORM keep them current by the signals below. Bulk writers (imports,
generated data) skip signals and call transfer_cache_refresh for what they touched,
or write the values directly.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Contract, Delivery, Transfer, WeaponSystem


def transfer_cache_refresh(*, transfers):
    """Recompute every cached column of these transfers (a queryset) in one UPDATE."""
    contract = Contract.objects.filter(pk=OuterRef("contract_id"))
    return transfers.order_by().update(
        is_arms=Exists(contract.filter(kind=Contract.Kind.ARMS)),
        supplier_id=Subquery(contract.values("supplier_id")[:1]),
        recipient_id=Subquery(contract.values("recipient_id")[:1]),
        order_date=Subquery(contract.values("order_date")[:1]),
        contract_value_amount=Subquery(contract.values("value_amount")[:1]),
        contract_value_currency=Subquery(contract.values("value_currency")[:1]),
        category=Subquery(WeaponSystem.objects.filter(pk=OuterRef("system_id")).values("category")[:1]),
        delivered_sum=delivered_sum_subquery(),
    )


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


def delivered_sum_subquery(transfer_ref="pk"):
    return Subquery(
        Delivery.objects.filter(transfer=OuterRef(transfer_ref))
        .order_by()
        .values("transfer")
        .annotate(total=Sum("quantity"))
        .values("total")[:1]
    )


def transfer_cache_values(*, contract, category, delivered_sum):
    """The cached columns of a new transfer, for bulk writers that know them already."""
    return {
        "is_arms": contract.kind == Contract.Kind.ARMS,
        "supplier_id": contract.supplier_id,
        "recipient_id": contract.recipient_id,
        "order_date": contract.order_date,
        "contract_value_amount": contract.value_amount,
        "contract_value_currency": contract.value_currency,
        "category": category,
        "delivered_sum": delivered_sum,
    }


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


@receiver(post_save, sender=Contract)
def _contract_saved(sender, instance, **kwargs):
    Transfer.objects.filter(contract_id=instance.pk).update(
        is_arms=instance.kind == Contract.Kind.ARMS,
        supplier_id=instance.supplier_id,
        recipient_id=instance.recipient_id,
        order_date=instance.order_date,
        contract_value_amount=instance.value_amount,
        contract_value_currency=instance.value_currency,
    )


@receiver(post_save, sender=WeaponSystem)
def _system_saved(sender, instance, **kwargs):
    Transfer.objects.filter(system_id=instance.pk).exclude(category=instance.category).update(
        category=instance.category
    )


@receiver(post_save, sender=Delivery)
@receiver(post_delete, sender=Delivery)
def _delivery_changed(sender, instance, **kwargs):
    Transfer.objects.filter(pk=instance.transfer_id).update(delivered_sum=delivered_sum_subquery())
