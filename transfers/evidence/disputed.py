"""Contract.disputed, kept from the claims by signals (a save or delete of a claim, a line,
a delivery, a source or a contract; bulk inserts of claims), so lists filter on a column.
A batch (loaddata, an import) defers the refresh to its end: contract_disputed_deferred."""

import contextlib
import contextvars
from collections import Counter

from django.db import router, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .. import workers
from ..assertions import COLUMNS as ASSERTION_COLUMNS
from ..assertions import (
    assertion_cleaned,
)
from ..bulk import rows_inserted, rows_inserting
from ..models import Claim, Contract, Delivery, Source, Transfer
from .rule import (
    EVIDENCE_FIELDS,
    claim_deals,
    claims_by_field,
    claims_of,
    field_conflicts,
    model_of,
)

_deferred = contextvars.ContextVar("disputed_refresh_deferred", default=None)
# Deals per transaction of a refresh (each locked until its commit). 500 took 1.3 s of an
# import of 30,000 deals into a million, 2,000 took 0.7 s: the per-chunk queries, not the rows.
REFRESH_CHUNK = 2_000


@contextlib.contextmanager
def contract_disputed_deferred(*, alongside=None):
    """Collect the deals whose flags need recomputing and recompute them once, at the
    end (loaddata: a deal with twenty claims is compared once, not twenty times).
    `alongside` (an ExitStack): where another connection can (transfers.workers), that
    recomputation runs in another thread until the stack closes (an import records its
    release meanwhile, which touches no deal of its file)."""
    if _deferred.get() is not None:
        yield
        return
    pending = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    if alongside is not None and workers.possible(router.db_for_write(Contract)):
        alongside.enter_context(workers.alongside(lambda: contract_disputed_refresh(contract_ids=pending)))
    else:
        contract_disputed_refresh(contract_ids=pending)


def contract_disputed_refresh(*, contract_ids, registry=None):
    """Recompute Contract.disputed of these deals from their claims. `registry`: the
    apps of a migration (its historical models), else the project's."""
    ids = sorted({pk for pk in contract_ids if pk is not None})
    Contract, Transfer = model_of(registry, "Contract"), model_of(registry, "Transfer")
    using = router.db_for_write(Contract)
    for start in range(0, len(ids), REFRESH_CHUNK):
        with transaction.atomic(using=using):
            _refresh_chunk(ids[start : start + REFRESH_CHUNK], Contract=Contract, Transfer=Transfer, registry=registry)


def _refresh_chunk(chunk, *, Contract, Transfer, registry):
    # The deals are locked (in id order) before their claims are read: a claim written at
    # the same moment by another editor is then either seen here, or its own transaction
    # waits for this one and sees this one's (two claims that disagree, written at once,
    # each compared without the other, would leave the deal undisputed).
    list(Contract._base_manager.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk").values_list("pk"))
    # One claim cannot disagree with itself: only deals with two or more are compared, and
    # only their claims are read (an import's thirty thousand new deals have one each).
    deal_of = claim_deals(contract_ids=chunk, registry=registry)
    count = Counter(deal_of.values())
    by_deal = {}
    for claim in claims_of(ids=[pk for pk, deal in deal_of.items() if count[deal] > 1], registry=registry):
        by_deal.setdefault(claim.deal_id, []).append(claim)
    candidates = list(by_deal)
    lines = {}
    for deal, line in Transfer._base_manager.filter(contract_id__in=candidates).values_list("contract_id", "pk"):
        lines.setdefault(deal, []).append(line)
    disputed = {
        deal
        for deal in candidates
        if any(
            field_conflicts(claims)
            for claims in claims_by_field(
                claims=by_deal[deal],
                sole_line=lines[deal][0] if len(lines.get(deal, ())) == 1 else None,
            ).values()
        )
    }
    undisputed = set(chunk) - disputed
    if disputed:
        Contract._base_manager.filter(pk__in=disputed, disputed=False).update(disputed=True)
    if undisputed:
        Contract._base_manager.filter(pk__in=undisputed, disputed=True).update(disputed=False)


def _refresh(contract_ids):
    pending = _deferred.get()
    if pending is not None:
        pending.update(pk for pk in contract_ids if pk is not None)
    else:
        contract_disputed_refresh(contract_ids=contract_ids)


def claim_deal_ids(*, claims):
    """The deals these claims (model instances or plain rows) are about, through their
    contract, line or delivery; claims about systems or actors have none."""
    deals = {claim.contract_id for claim in claims if getattr(claim, "contract_id", None)}
    transfers = {claim.transfer_id for claim in claims if getattr(claim, "transfer_id", None)}
    deliveries = {claim.delivery_id for claim in claims if getattr(claim, "delivery_id", None)}
    if transfers:
        deals.update(Transfer._base_manager.filter(pk__in=transfers).values_list("contract_id", flat=True))
    if deliveries:
        deals.update(Delivery._base_manager.filter(pk__in=deliveries).values_list("transfer__contract_id", flat=True))
    return deals


def _stored(model, instance, fields):
    if instance.pk is None:
        return None
    return model._base_manager.filter(pk=instance.pk).values(*fields).first()


class _StoredClaim:
    """A claim's subject as stored before a save."""

    def __init__(self, values):
        self.contract_id, self.transfer_id, self.delivery_id = (
            values["contract_id"],
            values["transfer_id"],
            values["delivery_id"],
        )


@receiver(pre_save, sender=Claim)
def _claim_saving(sender, instance, **kwargs):
    # A claim moved to another deal, or to another field, changes the flags of both deals.
    instance._evidence_stored = _stored(
        sender, instance, ["contract_id", "transfer_id", "delivery_id", "assertion_field"]
    )


@receiver(post_save, sender=Claim)
def _claim_saved(sender, instance, **kwargs):
    stored = getattr(instance, "_evidence_stored", None)
    if instance.assertion_field in EVIDENCE_FIELDS or (stored and stored["assertion_field"] in EVIDENCE_FIELDS):
        claims = [instance] + ([_StoredClaim(stored)] if stored else [])
        _refresh(claim_deal_ids(claims=claims))


@receiver(post_delete, sender=Claim)
def _claim_deleted(sender, instance, **kwargs):
    if instance.assertion_field in EVIDENCE_FIELDS:
        _refresh(claim_deal_ids(claims=[instance]))


@receiver(pre_save, sender=Transfer)
@receiver(pre_save, sender=Delivery)
def _line_saving(sender, instance, **kwargs):
    parent = "contract_id" if sender is Transfer else "transfer_id"
    stored = _stored(sender, instance, [parent])
    instance._evidence_parent = stored[parent] if stored else None


@receiver(post_save, sender=Transfer)
def _transfer_saved(sender, instance, created=False, **kwargs):
    # A line moved to another deal takes its claims (and its deliveries') with it.
    stored = getattr(instance, "_evidence_parent", None)
    if not created and stored != instance.contract_id:
        _refresh({stored, instance.contract_id})


@receiver(post_save, sender=Delivery)
def _delivery_saved(sender, instance, created=False, **kwargs):
    stored = getattr(instance, "_evidence_parent", None)
    if not created and stored != instance.transfer_id:
        lines = Transfer._base_manager.filter(pk__in=[stored, instance.transfer_id])
        _refresh(set(lines.values_list("contract_id", flat=True)))


@receiver(pre_save, sender=Source)
def _source_saving(sender, instance, **kwargs):
    instance._evidence_date = _stored(sender, instance, ["published_date", "published_date_precision"])


@receiver(post_save, sender=Source)
def _source_saved(sender, instance, created=False, **kwargs):
    # Claims without a date stated are dated by their source: their order may have changed.
    stored = getattr(instance, "_evidence_date", None)
    if created or stored is None:
        return
    if (stored["published_date"], stored["published_date_precision"]) == (
        instance.published_date,
        instance.published_date_precision,
    ):
        return
    claims = Claim._base_manager.filter(source=instance, assertion_field__in=EVIDENCE_FIELDS)
    _refresh(claim_deal_ids(claims=list(claims.only("contract_id", "transfer_id", "delivery_id"))))


@receiver(post_save, sender=Contract)
def _contract_saved(sender, instance, **kwargs):
    # A save writes every column, the flag included: from a stale instance, or from a
    # fixture (which leaves the flag out), it could be wrong; it is recomputed.
    _refresh({instance.pk})


@receiver(rows_inserting, sender=Claim)
def _claims_bulk_inserting(sender, rows, **kwargs):
    # Imports write claims as plain rows: a value given as text is read, and checked, by
    # the same rules as every other claim's. Read once per distinct assertion (an import's
    # thirty thousand claims say a few hundred different numbers).
    read = {}
    for row in rows:
        if not getattr(row, "assertion_field", ""):
            continue
        given = {column: getattr(row, column) for column in ASSERTION_COLUMNS}
        key = tuple((value.__class__, value) for value in given.values())
        if key not in read:
            read[key] = assertion_cleaned(values=given)
        values, errors = read[key]
        if errors:
            raise ValueError(f"Claim {getattr(row, 'key', '')}: {'; '.join(errors.values())}")
        for column, value in values.items():
            setattr(row, column, value)


@receiver(rows_inserted, sender=Claim)
def _claims_bulk_inserted(sender, rows, **kwargs):
    typed = [row for row in rows if getattr(row, "assertion_field", "") in EVIDENCE_FIELDS]
    if typed:
        _refresh(claim_deal_ids(claims=typed))
