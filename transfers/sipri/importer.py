"""Importing SIPRI trade registers: deals become Contract + Transfer + Deliveries, each backed by a Claim.

Idempotent: records are keyed on SIPRI's deal id (newer format) or a stable key
of the row's identifying fields (legacy format). An unchanged row writes
nothing; a changed row is updated in place; a deal edited by hand since its
last import is left as it is and reported. Work is written in batches, each in
its own transaction, so a crash or Ctrl-C never leaves a half-written deal.
"""

import datetime
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pycountry
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..bulk import bulk_insert, new_row, tables_analyze
from ..cache import transfer_cache_refresh, transfer_cache_values
from ..models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem
from ..services import country_display_name
from .parser import BY_DELIVERY_YEAR, ImportFileError, RowError, party_slug, sipri_read  # noqa: F401

BATCH_SIZE = 1000

# SIPRI's own spellings and historical states: name -> (code, our name, kind).
SIPRI_PARTIES = {
    "Soviet Union": ("SUN", "Soviet Union", Actor.Kind.HISTORICAL_STATE),
    "Czechoslovakia": ("CSK", "Czechoslovakia", Actor.Kind.HISTORICAL_STATE),
    "East Germany (GDR)": ("DDR", "East Germany (GDR)", Actor.Kind.HISTORICAL_STATE),
    "East Germany": ("DDR", "East Germany (GDR)", Actor.Kind.HISTORICAL_STATE),
    "Yugoslavia": ("YUG", "Yugoslavia", Actor.Kind.HISTORICAL_STATE),
    "South Yemen": ("YMD", "South Yemen", Actor.Kind.HISTORICAL_STATE),
    "North Yemen": ("north-yemen", "North Yemen", Actor.Kind.HISTORICAL_STATE),
    "Yemen Arab Republic (North Yemen)": ("north-yemen", "North Yemen", Actor.Kind.HISTORICAL_STATE),
    "South Vietnam": ("south-vietnam", "South Vietnam", Actor.Kind.HISTORICAL_STATE),
    "North Vietnam": ("VDR", "North Vietnam", Actor.Kind.HISTORICAL_STATE),
    "Biafra": ("biafra", "Biafra", Actor.Kind.HISTORICAL_STATE),
    "Katanga": ("katanga", "Katanga", Actor.Kind.HISTORICAL_STATE),
    "Northern Cyprus": ("northern-cyprus", "Northern Cyprus", Actor.Kind.OTHER),
    "Kosovo": ("XKX", "Kosovo", Actor.Kind.STATE),
    "Bosnia-Herzegovina": ("BIH", None, Actor.Kind.STATE),
    "Brunei": ("BRN", None, Actor.Kind.STATE),
    "Cote d'Ivoire": ("CIV", None, Actor.Kind.STATE),
    "DR Congo": ("COD", None, Actor.Kind.STATE),
    "Palestine": ("PSE", None, Actor.Kind.STATE),
    "Russia": ("RUS", None, Actor.Kind.STATE),
    "Saint Vincent": ("VCT", None, Actor.Kind.STATE),
    "Turkiye": ("TUR", None, Actor.Kind.STATE),
    "Turkey": ("TUR", None, Actor.Kind.STATE),
    "UAE": ("ARE", None, Actor.Kind.STATE),
    "unknown supplier(s)": ("unknown-supplier", "Unknown supplier(s)", Actor.Kind.UNKNOWN),
    "unknown recipient(s)": ("unknown-recipient", "Unknown recipient(s)", Actor.Kind.UNKNOWN),
}


class ImportRejected(Exception):
    """--strict and some rows are bad: nothing was written."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"{len(report.rejected)} rejected rows; nothing written (--strict)")


@dataclass
class ImportReport:
    path: str
    format: str = ""
    encoding: str = ""
    generated: datetime.date | None = None
    rows: int = 0
    deals: int = 0
    rejected: list[RowError] = field(default_factory=list)
    contracts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "kept": 0})
    transfers: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    deliveries: dict = field(default_factory=lambda: {"created": 0, "deleted": 0})
    claims_created: int = 0
    actors_created: list[str] = field(default_factory=list)
    systems_created: int = 0
    kept_references: list[str] = field(default_factory=list)
    source_key: str = ""
    seconds: float = 0.0
    dry_run: bool = False


# --- Parties and systems ------------------------------------------------------------------------


def _actor_index():
    """Every way to name an existing actor (code, name, alias), case-insensitive."""
    index = {}
    for actor in Actor.objects.all():
        for name in [actor.code, actor.name, *actor.aliases]:
            index.setdefault(name.strip().lower(), actor)
    return index


def _new_actor(code, name, kind, alias, reason):
    actor = Actor.objects.filter(code__iexact=code).first()
    if actor is not None:
        if alias not in actor.aliases and alias != actor.name:
            actor.aliases = [*actor.aliases, alias]
            actor._change_reason = reason
            actor.save(update_fields=["aliases"])
        return actor, False
    actor = Actor(code=code, name=name, kind=kind, aliases=[] if alias == name else [alias])
    actor._change_reason = reason
    actor.full_clean()
    actor.save()
    return actor, True


def actor_resolve_sipri_parties(*, names, reason, created):
    """Map SIPRI party names to actors, creating the missing ones (with history)."""
    index = _actor_index()
    resolved = {}
    for name in sorted(names):
        key = name.strip().lower()
        if key in index:
            actor = index[key]
            if name != actor.code and name != actor.name and name not in actor.aliases:
                # Keep SIPRI's spelling as an alias ('eSwatini', 'Turkiye').
                actor.aliases = [*actor.aliases, name]
                actor._change_reason = reason
                actor.save(update_fields=["aliases"])
            resolved[name] = actor
            continue
        if name in SIPRI_PARTIES:
            code, our_name, kind = SIPRI_PARTIES[name]
            if our_name is None:
                our_name = country_display_name(pycountry.countries.get(alpha_3=code))
        elif name.endswith("**"):
            code, our_name, kind = party_slug(name), name[:-2].strip(), Actor.Kind.ORGANISATION
        elif name.endswith("*"):
            code, our_name, kind = party_slug(name), name[:-1].strip(), Actor.Kind.NON_STATE
        else:
            try:
                country = pycountry.countries.lookup(name)
            except LookupError:
                country = None
            if country is not None:
                code = country.alpha_3
                our_name = country_display_name(country)
                kind = Actor.Kind.STATE
            else:
                code, our_name, kind = party_slug(name), name, Actor.Kind.OTHER
        actor, was_created = _new_actor(code, our_name, kind, name, reason)
        if was_created:
            created.append(f"{actor.code} ({name})")
        for alias in [actor.code, actor.name, name]:
            index.setdefault(alias.strip().lower(), actor)
        resolved[name] = actor
    return resolved


def system_resolve_sipri_designations(*, deals, reason):
    """One WeaponSystem per designation (by slug); returns designation -> system and the number created."""
    from django.utils.text import slugify

    wanted = {}
    for deal in deals:
        slug = (slugify(deal.designation) or "unnamed")[:200]
        wanted.setdefault(slug, deal)
    existing = {s.slug: s for s in WeaponSystem.objects.filter(slug__in=list(wanted))}
    new = [
        WeaponSystem(
            slug=slug, designation=deal.designation[:200], category=deal.category, description=deal.description[:300]
        )
        for slug, deal in wanted.items()
        if slug not in existing
    ]
    if new:
        for system in bulk_create_with_history(new, WeaponSystem, batch_size=BATCH_SIZE, default_change_reason=reason):
            existing[system.slug] = system
        if any(s.pk is None for s in new):
            existing.update({s.slug: s for s in WeaponSystem.objects.filter(slug__in=[s.slug for s in new])})
    by_designation = {}
    for deal in deals:
        by_designation[deal.designation] = existing[(slugify(deal.designation) or "unnamed")[:200]]
    return by_designation, len(new)


# --- Desired state of one deal ------------------------------------------------------------------------

# The fields an import owns (attnames); everything else is left to editors.
CONTRACT_FIELDS = [
    "kind",
    "supplier_id",
    "recipient_id",
    "title",
    "order_date",
    "order_date_precision",
    "order_date_is_estimate",
    "status",
    "sipri_deal_id",
]
TRANSFER_FIELDS = [
    "line",
    "system_id",
    "quantity_ordered",
    "quantity_ordered_is_estimate",
    "reported_delivered",
    "reported_delivered_is_estimate",
    "condition",
    "licensed_production",
    "tiv_per_unit",
    "tiv_order",
    "tiv_delivered",
    "comments",
]
DELIVERY_FIELDS = ["line", "date", "date_precision", "date_is_estimate", "quantity", "quantity_is_estimate"]


def _status(deal, export_year):
    years = [d.year for d in deal.deliveries]
    if not years and not deal.delivered_total:
        return Contract.Status.SIGNED
    if deal.quantity_ordered is not None and deal.delivered_total is not None:
        return (
            Contract.Status.COMPLETED if deal.delivered_total >= deal.quantity_ordered else Contract.Status.DELIVERING
        )
    # The newer export gives no number ordered: a deal with no delivery in the
    # export's last two years is taken as completed.
    if years and export_year and max(years) < export_year - 1:
        return Contract.Status.COMPLETED
    return Contract.Status.DELIVERING


def _desired(deal, *, actors, systems, export_year, legacy):
    contract = {
        "kind": Contract.Kind.ARMS,
        "supplier_id": actors[deal.supplier].pk,
        "recipient_id": actors[deal.recipient].pk,
        "title": f"{deal.designation}: {deal.description}"[:300],
        "order_date": datetime.date(deal.order_year, 1, 1),
        "order_date_precision": "year",
        "order_date_is_estimate": deal.order_year_is_estimate,
        "status": _status(deal, export_year),
        "sipri_deal_id": deal.sipri_deal_id,
    }
    transfer = {
        "line": 1,
        "system_id": systems[deal.designation].pk,
        "quantity_ordered": deal.quantity_ordered,
        "quantity_ordered_is_estimate": deal.quantity_ordered_is_estimate,
        "reported_delivered": deal.delivered_total if legacy else None,
        "reported_delivered_is_estimate": deal.delivered_is_estimate if legacy else False,
        "condition": deal.condition,
        "licensed_production": deal.licensed_production,
        "tiv_per_unit": deal.tiv_per_unit,
        "tiv_order": deal.tiv_order,
        "tiv_delivered": deal.tiv_delivered,
        "comments": deal.comments,
    }
    deliveries = [
        {
            "line": index,
            "date": datetime.date(d.year, 1, 1),
            "date_precision": "year",
            "date_is_estimate": d.year_is_estimate,
            "quantity": d.quantity,
            "quantity_is_estimate": d.quantity_is_estimate,
        }
        for index, d in enumerate(deal.deliveries, start=1)
    ]
    return contract, transfer, deliveries


def _fingerprint(contract, transfer, deliveries):
    def norm(values):
        return "|".join(f"{k}={'' if v is None else v}" for k, v in sorted(values.items()))

    text = "\n".join([norm(contract), norm(transfer), *[norm(d) for d in deliveries]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _current(contract, transfer, deliveries):
    """The imported fields as they are now in the database, in the shape of _desired."""
    c = {k: getattr(contract, k) for k in CONTRACT_FIELDS}
    t = {k: getattr(transfer, k) for k in TRANSFER_FIELDS} if transfer is not None else {}
    d = [{k: getattr(delivery, k) for k in DELIVERY_FIELDS} for delivery in deliveries]
    return c, t, d


def _claim_summary(deal):
    ordered = "an unknown number of" if deal.quantity_ordered is None else str(deal.quantity_ordered)
    if deal.quantity_ordered_is_estimate:
        ordered += " (estimate)"
    text = (
        f"SIPRI lists {ordered} {deal.designation} ({deal.description}) from {deal.supplier} to {deal.recipient}, "
        f"ordered {deal.order_year}{' (estimate)' if deal.order_year_is_estimate else ''}"
    )
    if deal.deliveries:
        years = "; ".join(str(d.year) for d in deal.deliveries)
        delivered = "" if deal.delivered_total is None else f"{deal.delivered_total} "
        text += f"; {delivered}delivered in {years}"
    else:
        text += "; nothing delivered yet"
    if deal.tiv_per_unit is not None:
        text += f"; TIV per unit {deal.tiv_per_unit.normalize()}"
    return text + "."


# --- The import --------------------------------------------------------------------------------------------


def _source_for(export, *, title, reason):
    label = "trade register" if export.format != BY_DELIVERY_YEAR else "trade register by delivery year"
    generated = export.generated.isoformat() if export.generated else "undated"
    key = f"sipri-{export.format}-{generated}"
    source = Source.objects.filter(key=key).first()
    if source is None:
        source = Source(
            key=key,
            kind=Source.Kind.REGISTER,
            title=title or f"SIPRI Arms Transfers Database, {label} (data generated {generated})",
            publisher="Stockholm International Peace Research Institute (SIPRI)",
            outlet="SIPRI Arms Transfers Database",
            published_date=export.generated,
            published_date_precision="day",
            language="en",
            notes=(
                "Export of https://www.sipri.org/databases/armstransfers. "
                "Source: SIPRI Arms Transfers Database (c) SIPRI."
            ),
        )
        source._change_reason = reason
        source.save()
    return source


def _write_batch(deals, *, actors, systems, source, export_year, legacy, reason, report):
    refs = [deal.reference for deal in deals]
    # Unordered lookups: the models' default orderings would join and sort for nothing.
    contracts = {c.reference: c for c in Contract.objects.filter(reference__in=refs).order_by()}
    transfers = {t.contract_id: t for t in Transfer.objects.filter(contract__in=contracts.values(), line=1).order_by()}
    deliveries = {}
    for delivery in Delivery.objects.filter(transfer__in=transfers.values()).order_by("line", "pk"):
        deliveries.setdefault(delivery.transfer_id, []).append(delivery)
    claimed = set(
        Claim.objects.filter(source=source, contract__in=contracts.values())
        .order_by()
        .values_list("contract_id", flat=True)
    )

    new_contracts, new_transfers, new_deliveries = [], [], []
    changed_contracts, changed_transfers, replace_deliveries = [], [], []
    claim_for = []
    for deal in deals:
        c_values, t_values, d_values = _desired(
            deal, actors=actors, systems=systems, export_year=export_year, legacy=legacy
        )
        fingerprint = _fingerprint(c_values, t_values, d_values)
        contract = contracts.get(deal.reference)
        if contract is None:
            contract = new_row(
                Contract, reference=deal.reference, import_fingerprint=fingerprint, line_count=1, **c_values
            )
            known = [d["quantity"] for d in d_values if d["quantity"] is not None]
            transfer = new_row(
                Transfer,
                **t_values,
                **transfer_cache_values(
                    contract=contract,
                    category=systems[deal.designation].category,
                    delivered_sum=sum(known) if known else None,
                ),
            )
            new_contracts.append(contract)
            new_transfers.append((contract, transfer))
            new_deliveries += [(transfer, new_row(Delivery, **values)) for values in d_values]
            claim_for.append((contract, deal))
            continue
        transfer = transfers.get(contract.pk)
        current = _current(contract, transfer, deliveries.get(transfer.pk, []) if transfer else [])
        current_fp = _fingerprint(*current)
        if contract.pk not in claimed:
            claim_for.append((contract, deal))
        if transfer is not None and current_fp == fingerprint:
            report.contracts["unchanged"] += 1
            report.transfers["unchanged"] += 1
            continue
        if transfer is None or (contract.import_fingerprint and current_fp != contract.import_fingerprint):
            # Edited by hand since the last import: keep the editor's version.
            report.contracts["kept"] += 1
            report.kept_references.append(deal.reference)
            continue
        for name, value in c_values.items():
            setattr(contract, name, value)
        contract.import_fingerprint = fingerprint
        changed_contracts.append(contract)
        for name, value in t_values.items():
            setattr(transfer, name, value)
        changed_transfers.append(transfer)
        current_deliveries = current[2]
        if current_deliveries != d_values:
            replace_deliveries.append((transfer, d_values))

    bulk_insert(Contract, new_contracts, reason=reason)
    for contract, transfer in new_transfers:
        transfer.contract_id = contract.pk
    bulk_insert(Transfer, [t for _, t in new_transfers], reason=reason)
    if changed_contracts:
        bulk_update_with_history(
            changed_contracts,
            Contract,
            fields=[*CONTRACT_FIELDS, "import_fingerprint"],
            batch_size=BATCH_SIZE,
            default_change_reason=reason,
        )
        bulk_update_with_history(
            changed_transfers, Transfer, fields=TRANSFER_FIELDS, batch_size=BATCH_SIZE, default_change_reason=reason
        )
    for transfer, d_values in replace_deliveries:
        deleted = Delivery.objects.filter(transfer=transfer)
        report.deliveries["deleted"] += len(deleted)
        for delivery in deleted:
            delivery._change_reason = reason
            delivery.delete()
        new_deliveries += [(transfer, new_row(Delivery, **values)) for values in d_values]
    for transfer, delivery in new_deliveries:
        delivery.transfer_id = transfer.pk
    bulk_insert(Delivery, [d for _, d in new_deliveries], reason=reason)
    if changed_contracts:
        # Bulk updates send no signals: bring the register's copies up to date.
        transfer_cache_refresh(transfers=Transfer.objects.filter(contract__in=changed_contracts))
    claims = [
        new_row(
            Claim,
            key=f"{source.key}-{contract.reference}"[:100],
            source_id=source.pk,
            contract_id=contract.pk,
            speaker_role="SIPRI Arms Transfers Database",
            attribution=Claim.Attribution.SOURCE,
            stance=Claim.Stance.ASSERTS,
            assertion_field=Claim.AssertionField.QUANTITY_ORDERED if deal.quantity_ordered is not None else "",
            assertion_value=str(deal.quantity_ordered) if deal.quantity_ordered is not None else "",
            summary=_claim_summary(deal),
            stated_date=source.published_date,
            stated_date_precision="day",
        )
        for contract, deal in claim_for
    ]
    bulk_insert(Claim, claims, reason=reason)
    report.contracts["created"] += len(new_contracts)
    report.transfers["created"] += len(new_transfers)
    report.contracts["updated"] += len(changed_contracts)
    report.transfers["updated"] += len(changed_transfers)
    report.deliveries["created"] += len(new_deliveries)
    report.claims_created += len(claims)


def sipri_import(
    *,
    path,
    strict: bool = False,
    dry_run: bool = False,
    source_title: str | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Import a SIPRI export. Returns an ImportReport; raises ImportFileError or ImportRejected."""
    started = time.monotonic()
    export = sipri_read(path)
    report = ImportReport(
        path=str(path),
        format=export.format,
        encoding=export.encoding,
        generated=export.generated,
        rows=export.rows,
        deals=len(export.deals),
        rejected=list(export.errors),
        dry_run=dry_run,
    )
    if strict and export.errors:
        raise ImportRejected(report)
    reason = f"SIPRI import of {export.format} export ({export.generated or 'undated'})"
    legacy = export.format != BY_DELIVERY_YEAR
    export_year = export.generated.year if export.generated else None

    outer = transaction.atomic() if (dry_run or strict) else _NoTransaction()
    with outer:
        names = {d.supplier for d in export.deals} | {d.recipient for d in export.deals}
        actors = actor_resolve_sipri_parties(names=names, reason=reason, created=report.actors_created)
        systems, report.systems_created = system_resolve_sipri_designations(deals=export.deals, reason=reason)
        source = _source_for(export, title=source_title, reason=reason)
        report.source_key = source.key
        total = len(export.deals)
        for start in range(0, total, BATCH_SIZE):
            batch = export.deals[start : start + BATCH_SIZE]
            with transaction.atomic():
                _write_batch(
                    batch,
                    actors=actors,
                    systems=systems,
                    source=source,
                    export_year=export_year,
                    legacy=legacy,
                    reason=reason,
                    report=report,
                )
            if progress:
                progress(min(start + BATCH_SIZE, total), total)
        if dry_run:
            transaction.set_rollback(True)
        elif report.contracts["created"] or report.contracts["updated"]:
            tables_analyze(Contract, Transfer, Delivery, Claim)
    report.seconds = time.monotonic() - started
    return report


class _NoTransaction:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
