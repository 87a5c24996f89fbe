"""Importing SIPRI trade registers: deals become Contract + Transfer + Deliveries, each backed by a Claim.

Idempotent: records are keyed on SIPRI's deal id (newer format) or a stable key
of the row's identifying fields (legacy format). An unchanged row writes
nothing; a changed row is updated in place; a deal edited by hand since its
last import is left as it is and reported. Work is written in batches, each in
its own transaction, so a crash or Ctrl-C never leaves a half-written deal.

Faithful to what SIPRI published: figures that break a rule of hand entry are
stored as published and flagged (Transfer.published_inconsistency); a weapon
system is a designation with its category, spelled as SIPRI spells it; and the
two export formats' copies of one deal become one deal (`matching`): the legacy
row's figures, the deal id and per-year numbers of the by-delivery-year export.

About 980 lines, in sections in this order: the parties, the weapon systems, each deal's
desired state, which stored deal each row is (by key, or its copy from the other export),
and the import itself (batches, updates, deliveries, the release). They are one pass over
one file whose steps share its lookups (actors, systems, stored deals) and its report; the
parsing (parser), the pairing rule (matching), releases and bulk updates are modules of
their own.
"""

import datetime
import hashlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pycountry
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils.text import slugify

from .. import selectors, workers
from ..bulk import bulk_insert, collector_paused, new_row, tables_analyze
from ..cache import transfer_cache_refresh, transfer_cache_values
from ..countries import country_display_name
from ..evidence import contract_disputed_deferred
from ..models import Actor, Claim, Contract, Delivery, Source, Transfer, WeaponSystem
from ..totals import maintain
from ..totals.maintain import refresh_alongside, refresh_deferred
from . import matching
from .matching import DealFacts, Year
from .parser import (  # noqa: F401
    BY_DELIVERY_YEAR,
    DELIVERED_ABOVE_ORDERED,
    ImportFileError,
    RowError,
    party_slug,
    sipri_read,
    system_designation,
)
from .releases import release_default_user, release_newer, release_plan, release_record, release_recorded
from .updates import bulk_update_rows

# Deals per batch (a transaction each). 2,000 rather than 1,000: a batch of new deals adds to
# the coarse totals rows again (maintain.delta_add), 505,000 rows added for 30,000 deals into a
# million in batches of 1,000, 444,000 in batches of 2,000 (1 s less; peak 186 to 198 MB).
BATCH_SIZE = 2000
# Values per IN (...) lookup.
LOOKUP_CHUNK = 2000
LEGACY_PREFIX = "sipri-l-"


def _party_key(name):
    """A party's name as compared: case, runs of spaces and typographic apostrophes aside
    (`RUSSIA` is `Russia`, `Cote d’Ivoire` is `Cote d'Ivoire`)."""
    return " ".join(name.replace("’", "'").replace("‘", "'").split()).lower()


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
    # The by-delivery-year export's short name for the legacy register's party.
    "HoR (Libya)*": ("house-of-representatives-libya", "House of Representatives (Libya)", Actor.Kind.NON_STATE),
    "unknown supplier(s)": ("unknown-supplier", "Unknown supplier(s)", Actor.Kind.UNKNOWN),
    "unknown recipient(s)": ("unknown-recipient", "Unknown recipient(s)", Actor.Kind.UNKNOWN),
}
_SIPRI_PARTY_KEYS = {_party_key(name): name for name in SIPRI_PARTIES}


class ImportOutdated(Exception):
    """The export is older than a release of its format already imported: importing it would
    put its older figures over the newer ones. Nothing is written (unless `older`)."""

    def __init__(self, *, generated, newer):
        self.generated, self.newer = generated, newer
        super().__init__(f"data generated {generated}, before release {newer.pk} (generated {newer.generated})")


class ImportRejected(Exception):
    """--strict and some rows are bad: nothing was written."""

    def __init__(self, report):
        self.report = report
        super().__init__(f"{len(report.rejected)} rejected rows; nothing written (--strict)")


@dataclass
class MergeReport:
    """How the deals of one export met their copies from the other export."""

    other: str
    # Deals of this file that are one deal with their copy from the other export.
    merged: int = 0
    # Pairs found by this import, by how they were recognised (matching.LEVELS).
    matched: Counter = field(default_factory=Counter)
    # Deals of this file with no copy in the other export, by reason.
    unmatched: Counter = field(default_factory=Counter)
    unmatched_examples: list[str] = field(default_factory=list)
    # For the pairs found: were the per-year numbers applied, or why not.
    per_year: Counter = field(default_factory=Counter)
    # Stored deals of the other export still without a copy in this file, by reason.
    left_over: Counter = field(default_factory=Counter)


@dataclass
class ImportReport:
    path: str
    format: str = ""
    encoding: str = ""
    generated: datetime.date | None = None
    rows: int = 0
    deals: int = 0
    rejected: list[RowError] = field(default_factory=list)
    # Rows broken over several lines by the export and put back together: (first, last line).
    rejoined: list[tuple[int, int]] = field(default_factory=list)
    # Columns after SIPRI's that the header names (parser.Export.ignored_columns): not read.
    ignored_columns: list[str] = field(default_factory=list)
    # Rows imported as published although they break a rule of hand entry: (line, reference, what).
    flagged: list[tuple[int, str, str]] = field(default_factory=list)
    merge: MergeReport | None = None
    contracts: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "kept": 0})
    transfers: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    deliveries: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "deleted": 0})
    claims_created: int = 0
    actors_created: list[str] = field(default_factory=list)
    systems_created: int = 0
    kept_references: list[str] = field(default_factory=list)
    source_key: str = ""
    seconds: float = 0.0
    dry_run: bool = False
    sha256: str = ""
    # The release this import recorded (transfers.sipri.releases), or the one already recorded
    # for the same file, which then was not imported again.
    release: object = None
    already_recorded: bool = False
    # deal reference -> the id of the contract that holds it.
    contract_ids: dict = field(default_factory=dict)


# --- Parties ----------------------------------------------------------------------------------------


def _actor_index():
    """Every way to name an existing actor (name, alias, code), case-insensitive. Names and
    aliases come first: the code made for a misspelt party (`Ir'an` is `iran`) never takes
    `Iran` from the actor of that name."""
    index = {}
    actors = list(Actor.objects.all())
    for actor in actors:
        for name in [actor.name, *actor.aliases]:
            index.setdefault(_party_key(name), actor)
    for actor in actors:
        index.setdefault(_party_key(actor.code), actor)
    return index


_STATES = (Actor.Kind.STATE, Actor.Kind.HISTORICAL_STATE)


def _new_actor(code, name, kind, alias, reason):
    actor = Actor.objects.filter(code__iexact=code).first()
    if actor is not None and actor.kind in _STATES and kind not in _STATES:
        # A party known by its name's slug is not the state whose code that slug spells
        # (`RUS*`, a non-state group, is not Russia): a code of its own, with its kind.
        code = f"{code}-{kind}"
        actor = Actor.objects.filter(code__iexact=code).first()
    if actor is not None:
        actor.add_aliases([alias], reason=reason)
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
    # SIPRI's own spellings first, whatever their case: `RUSSIA` in one row is Russia, never
    # an actor of its own that `Russia` in every other row would then be taken for.
    for name in sorted(names, key=lambda name: (_party_key(name) not in _SIPRI_PARTY_KEYS, name)):
        key = _party_key(name)
        if key in index:
            actor = index[key]
            # Keep SIPRI's spelling as an alias ('eSwatini', 'Turkiye').
            actor.add_aliases([name], reason=reason)
            resolved[name] = actor
            continue
        if key in _SIPRI_PARTY_KEYS:
            code, our_name, kind = SIPRI_PARTIES[_SIPRI_PARTY_KEYS[key]]
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
            index.setdefault(_party_key(alias), actor)
        resolved[name] = actor
    return resolved


# --- Weapon systems ---------------------------------------------------------------------------------


def _free_slug(designation, category, taken):
    """The designation's slug; when another system has it, the category, then a number, appended."""
    base = (slugify(designation) or "unnamed")[:200]
    if base.isdigit():
        base = f"system-{base}"  # digits alone read as an id (models.validate_not_an_id)
    if base not in taken:
        return base
    for suffix in itertools.chain([category], (f"{category}-{n}" for n in itertools.count(2))):
        slug = f"{base[: 199 - len(suffix)]}-{suffix}"
        if slug not in taken:
            return slug
    raise AssertionError("unreachable")


def system_resolve_sipri(*, deals, reason):
    """One WeaponSystem per designation and category, as SIPRI writes them: the P-15
    anti-ship missile and the P-15 air-search radar are two systems, and "Cobra" and
    "COBRA" keep their spelling. Categories, not descriptions, tell them apart: the two
    exports describe one weapon in different words ("mobile SAM system", "mobile
    surface-to-air missile system"), and a system keeps the first description seen.

    Returns ({(designation, category): system}, number created)."""
    wanted = {}
    for deal in deals:
        wanted.setdefault(deal.system_key, deal)
    designations = sorted({designation for designation, _ in wanted})
    existing = {}
    for start in range(0, len(designations), LOOKUP_CHUNK):
        chunk = designations[start : start + LOOKUP_CHUNK]
        for system in WeaponSystem.objects.filter(designation__in=chunk).order_by("pk"):
            existing.setdefault((system.designation, system.category), system)
    missing = [key for key in wanted if key not in existing]
    if not missing:
        return existing, 0
    taken = set(WeaponSystem.objects.values_list("slug", flat=True))
    new = []
    for designation, category in missing:
        slug = _free_slug(designation, category, taken)
        taken.add(slug)
        description = wanted[(designation, category)].description
        # Plain rows, the JSON column as JSON text (bulk.bulk_insert, as generated data writes
        # them): bulk_create_with_history took a second for the register's 4,300 systems.
        new.append(
            new_row(
                WeaponSystem,
                slug=slug,
                designation=designation,
                category=category,
                description=description,
                other_names="[]",
            )
        )
    bulk_insert(WeaponSystem, new, reason=reason)
    by_slug = {s.slug: s for s in WeaponSystem.objects.filter(slug__in=[s.slug for s in new])}
    for system in new:
        stored = by_slug[system.slug]
        existing[(stored.designation, stored.category)] = stored
    return existing, len(new)


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
    "published_inconsistency",
]
DELIVERY_FIELDS = ["line", "date", "date_precision", "date_is_estimate", "quantity", "quantity_is_estimate", "tiv"]

# Fields the import took on after fingerprints were first stored: left out of the
# fingerprint while at their default, so records imported before still match theirs.
_FINGERPRINT_LATER = {"published_inconsistency": "", "tiv": None}


def _status(deal, export_year):
    years = [d.year for d in deal.deliveries]
    if not years and not deal.quantity_delivered:
        return Contract.Status.SIGNED
    if deal.quantity_ordered is not None and deal.quantity_delivered is not None:
        done = deal.quantity_delivered >= deal.quantity_ordered
        return Contract.Status.COMPLETED if done else Contract.Status.DELIVERING
    # The newer export gives no number ordered: a deal with no delivery in the
    # export's last two years is taken as completed.
    if years and export_year and max(years) < export_year - 1:
        return Contract.Status.COMPLETED
    return Contract.Status.DELIVERING


def _delivery_values(years):
    return [
        {
            "line": index,
            "date": datetime.date(d.year, 1, 1),
            "date_precision": "year",
            "date_is_estimate": d.year_is_estimate,
            "quantity": d.quantity,
            "quantity_is_estimate": d.quantity_is_estimate,
            "tiv": getattr(d, "tiv", None),
        }
        for index, d in enumerate(years, start=1)
    ]


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
        "system_id": systems[deal.system_key].pk,
        "quantity_ordered": deal.quantity_ordered,
        "quantity_ordered_is_estimate": deal.quantity_ordered_is_estimate,
        "reported_delivered": deal.quantity_delivered if legacy else None,
        "reported_delivered_is_estimate": deal.delivered_is_estimate if legacy else False,
        "condition": deal.condition,
        "licensed_production": deal.licensed_production,
        "tiv_per_unit": deal.tiv_per_unit,
        "tiv_order": deal.tiv_order,
        "tiv_delivered": deal.tiv_delivered,
        "comments": deal.comments,
        "published_inconsistency": deal.inconsistency,
    }
    return contract, transfer, _delivery_values(deal.deliveries)


def _fingerprint(contract, transfer, deliveries):
    def norm(values):
        return "|".join(
            f"{k}={'' if v is None else v}"
            for k, v in sorted(values.items())
            if k not in _FINGERPRINT_LATER or v != _FINGERPRINT_LATER[k]
        )

    text = "\n".join([norm(contract), norm(transfer), *[norm(d) for d in deliveries]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _current(contract, transfer, deliveries):
    """The imported fields as they are now in the database, in the shape of _desired."""
    c = {k: getattr(contract, k) for k in CONTRACT_FIELDS}
    t = {k: getattr(transfer, k) for k in TRANSFER_FIELDS} if transfer is not None else {}
    d = [{k: getattr(delivery, k) for k in DELIVERY_FIELDS} for delivery in deliveries]
    return c, t, d


def _stored_years(deliveries):
    return [Year(d.date.year, d.quantity, d.quantity_is_estimate, d.date_is_estimate, d.tiv) for d in deliveries]


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
        delivered = "" if deal.quantity_delivered is None else f"{deal.quantity_delivered} "
        text += f"; {delivered}delivered in {years}"
    else:
        text += "; nothing delivered yet"
    if deal.tiv_per_unit is not None:
        text += f"; TIV per unit {deal.tiv_per_unit.normalize():f}"
    if deal.inconsistency == DELIVERED_ABOVE_ORDERED:
        text += "; more delivered than ordered, as published"
    return text + "."


# --- Which stored deal each row is: by key, or its copy from the other export ----------------------


@dataclass
class _Plan:
    # deal reference -> the id of the stored contract it updates (absent: a new contract).
    contract_ids: dict = field(default_factory=dict)
    # deal references written onto a legacy row's contract (by-delivery-year deals only).
    onto_legacy: set = field(default_factory=set)
    # deal references paired in this import.
    newly_matched: set = field(default_factory=set)


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _stored_facts(contracts, *, order):
    """DealFacts of stored contracts (a queryset): parties, order year, system, deliveries."""
    facts = {}
    lines = (
        Transfer.objects.filter(contract__in=contracts, line=1)
        .order_by()
        .values_list(
            "contract_id",
            "contract__supplier_id",
            "contract__recipient_id",
            "contract__order_date",
            "contract__sipri_deal_id",
            "system__designation",
            "system__category",
            "reported_delivered",
        )
    )
    for pk, supplier, recipient, ordered, deal_id, designation, category, reported in lines:
        if ordered is None:
            continue
        facts[pk] = DealFacts(
            key=pk,
            order=order(pk, deal_id),
            supplier_id=supplier,
            recipient_id=recipient,
            order_year=ordered.year,
            designation=designation,
            category=category,
            total=reported,
        )
    deliveries = (
        Delivery.objects.filter(transfer__contract__in=contracts, transfer__line=1)
        .order_by()
        .values_list("transfer__contract_id", "date", "quantity")
    )
    for pk, date, quantity in deliveries:
        if pk in facts:
            facts[pk].years[date.year] = quantity
    return list(facts.values())


def _facts(deal, actors, *, order):
    return DealFacts(
        key=deal.reference,
        order=order,
        supplier_id=actors[deal.supplier].pk,
        recipient_id=actors[deal.recipient].pk,
        order_year=deal.order_year,
        designation=system_designation(deal.designation),
        category=deal.category,
        years={d.year: d.quantity for d in deal.deliveries},
        total=deal.quantity_delivered,
    )


_COVERED = re.compile(r"Deliveries covered: (\d{4})-(\d{4})")


def _by_year_start(facts):
    """The first delivery year the stored by-delivery-year deals' exports cover."""
    starts = []
    for notes in Source.objects.filter(key__startswith=f"sipri-{BY_DELIVERY_YEAR}-").values_list("notes", flat=True):
        match = _COVERED.search(notes)
        if match:
            starts.append(int(match.group(1)))
    if starts:
        return min(starts)
    return min((year for f in facts for year in f.years), default=None)


def _record_unmatched(merge, deal, reason):
    merge.unmatched[reason] += 1
    if len(merge.unmatched_examples) < 20:
        merge.unmatched_examples.append(
            f"line {deal.line}: {deal.supplier} to {deal.recipient}, {deal.designation}, ordered {deal.order_year}"
            f": {reason}"
        )


def _plan_legacy(deals, actors, report):
    plan = _Plan()
    merged = 0
    for chunk in _chunks(d.reference for d in deals):
        for reference, pk, deal_id in Contract.objects.filter(reference__in=chunk).values_list(
            "reference", "pk", "sipri_deal_id"
        ):
            plan.contract_ids[reference] = pk
            merged += deal_id is not None
    by_year_only = Contract.objects.filter(
        sipri_deal_id__isnull=False, reference=Concat(Value("sipri-"), F("sipri_deal_id"))
    ).exclude(import_fingerprint="")
    missing = [d for d in deals if d.reference not in plan.contract_ids]
    if not merged and not (missing and by_year_only.exists()):
        return plan
    report.merge = MergeReport(other="by-delivery-year export", merged=merged)
    stored = _stored_facts(by_year_only, order=lambda pk, deal_id: (int(deal_id), pk)) if missing else []
    if not stored:
        return plan
    pairs, left_over = matching.pair(
        stored, [_facts(d, actors, order=(d.line,)) for d in missing], start=_by_year_start(stored)
    )
    for contract_id, (reference, level) in pairs.items():
        plan.contract_ids[reference] = contract_id
        plan.newly_matched.add(reference)
        report.merge.matched[level] += 1
        report.merge.merged += 1
    for deal in missing:
        if deal.reference not in plan.newly_matched:
            report.merge.unmatched["no copy among the stored by-delivery-year deals"] += 1
    report.merge.left_over.update(left_over.values())
    return plan


def _plan_by_year(deals, actors, export, report):
    plan = _Plan()
    by_id = {d.sipri_deal_id: d for d in deals}
    for chunk in _chunks(by_id):
        for deal_id, pk, reference in Contract.objects.filter(sipri_deal_id__in=chunk).values_list(
            "sipri_deal_id", "pk", "reference"
        ):
            deal = by_id[deal_id]
            plan.contract_ids[deal.reference] = pk
            if reference.startswith(LEGACY_PREFIX):
                plan.onto_legacy.add(deal.reference)
    legacy_unpaired = Contract.objects.filter(reference__startswith=LEGACY_PREFIX, sipri_deal_id__isnull=True).exclude(
        import_fingerprint=""
    )
    missing = [d for d in deals if d.reference not in plan.contract_ids]
    if not plan.onto_legacy and not (missing and legacy_unpaired.exists()):
        return plan
    report.merge = MergeReport(other="legacy register", merged=len(plan.onto_legacy))
    if not missing:
        return plan
    stored = _stored_facts(legacy_unpaired, order=lambda pk, deal_id: (pk,))
    start = (
        export.year_range[0] if export.year_range else min((y.year for d in deals for y in d.deliveries), default=None)
    )
    pairs, unmatched = matching.pair(
        [_facts(d, actors, order=(int(d.sipri_deal_id), d.line)) for d in missing], stored, start=start
    )
    for deal in missing:
        if deal.reference in pairs:
            contract_id, level = pairs[deal.reference]
            plan.contract_ids[deal.reference] = contract_id
            plan.onto_legacy.add(deal.reference)
            plan.newly_matched.add(deal.reference)
            report.merge.matched[level] += 1
            report.merge.merged += 1
        else:
            _record_unmatched(report.merge, deal, unmatched[deal.reference])
    return plan


# --- The import --------------------------------------------------------------------------------------------


def _source_for(export, *, title, reason):
    label = "trade register" if export.format != BY_DELIVERY_YEAR else "trade register by delivery year"
    generated = export.generated.isoformat() if export.generated else "undated"
    key = f"sipri-{export.format}-{generated}"
    source = Source.objects.filter(key=key).first()
    if source is None:
        covered = f" Deliveries covered: {export.year_range[0]}-{export.year_range[1]}." if export.year_range else ""
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
                "Source: SIPRI Arms Transfers Database (c) SIPRI." + covered
            ),
        )
        source._change_reason = reason
        source.save()
    return source


@dataclass
class _Context:
    actors: dict
    systems: dict
    source: Source
    export_year: int | None
    legacy: bool
    reason: str
    plan: _Plan


def _desired_update(deal, contract, transfer, stored_deliveries, current, ctx):
    """The state an existing contract should have after this deal: (contract, transfer,
    deliveries, reference), and the outcome of merging per-year numbers (or None)."""
    if ctx.legacy:
        c, t, d = _desired(deal, actors=ctx.actors, systems=ctx.systems, export_year=ctx.export_year, legacy=True)
        # The deal id and the per-year numbers come from the other export.
        c["sipri_deal_id"] = contract.sipri_deal_id
        outcome = None
        if contract.sipri_deal_id is not None:
            years, outcome = matching.merged_deliveries(
                [y.year for y in deal.deliveries],
                deal.quantity_delivered,
                deal.delivered_is_estimate,
                _stored_years(stored_deliveries),
            )
            d = _delivery_values(years)
        return (c, t, d, deal.reference), outcome
    if deal.reference not in ctx.plan.onto_legacy:
        c, t, d = _desired(deal, actors=ctx.actors, systems=ctx.systems, export_year=ctx.export_year, legacy=False)
        return (c, t, d, contract.reference), None
    # A legacy row's deal: its figures stay; the deal id and per-year numbers join them.
    c, t, _ = current
    c = {**c, "sipri_deal_id": deal.sipri_deal_id}
    years, outcome = matching.merged_deliveries(
        sorted({d.date.year for d in stored_deliveries}),
        transfer.reported_delivered,
        transfer.reported_delivered_is_estimate,
        deal.deliveries,
    )
    return (c, t, _delivery_values(years), contract.reference), outcome


def _stored(ids, *, records):
    """A batch's stored deals: contracts by id, their first lines by contract id, and those
    lines' deliveries in order. As model instances (records: to update them), or as plain
    values with the same attributes (to compare them: building 125,000 instances was a
    third of an unchanged re-import)."""
    # Unordered lookups: the models' default orderings would join and sort for nothing.
    contracts = Contract.objects.filter(pk__in=ids).order_by()
    transfers = Transfer.objects.filter(contract_id__in=ids, line=1).order_by()
    deliveries = Delivery.objects.filter(transfer__contract_id__in=ids, transfer__line=1).order_by("line", "pk")
    if not records:
        contracts = _plain(contracts, "pk", "reference", "import_fingerprint", *CONTRACT_FIELDS)
        transfers = _plain(transfers, "pk", "contract_id", *TRANSFER_FIELDS)
        deliveries = _plain(deliveries, "transfer_id", *DELIVERY_FIELDS)
    by_transfer = {}
    for delivery in deliveries:
        by_transfer.setdefault(delivery.transfer_id, []).append(delivery)
    return {c.pk: c for c in contracts}, {t.contract_id: t for t in transfers}, by_transfer


def _plain(queryset, *names):
    return [SimpleNamespace(**row) for row in queryset.values(*names)]


def _write_batch(deals, *, ctx, report):
    ids = [ctx.plan.contract_ids[d.reference] for d in deals if d.reference in ctx.plan.contract_ids]
    contracts, transfers, deliveries = _stored(ids, records=False)
    claimed = set(
        Claim.objects.filter(source=ctx.source, contract_id__in=ids).order_by().values_list("contract_id", flat=True)
    )

    new_contracts, new_transfers, new_deliveries, new_references = [], [], [], []
    updates = _Updates()
    claim_for = []
    changed = []
    for deal in deals:
        contract = contracts.get(ctx.plan.contract_ids.get(deal.reference))
        if contract is not None:
            report.contract_ids[deal.reference] = contract.pk
        if contract is None:
            c_values, t_values, d_values = _desired(
                deal, actors=ctx.actors, systems=ctx.systems, export_year=ctx.export_year, legacy=ctx.legacy
            )
            fingerprint = _fingerprint(c_values, t_values, d_values)
            contract = new_row(
                Contract, reference=deal.reference, import_fingerprint=fingerprint, line_count=1, **c_values
            )
            known = [d["quantity"] for d in d_values if d["quantity"] is not None]
            transfer = new_row(
                Transfer,
                **t_values,
                **transfer_cache_values(
                    contract=contract,
                    category=ctx.systems[deal.system_key].category,
                    cached_delivered_sum=sum(known) if known else None,
                ),
            )
            new_contracts.append(contract)
            new_references.append(deal.reference)
            new_transfers.append((contract, transfer))
            new_deliveries += [(transfer, new_row(Delivery, **values)) for values in d_values]
            claim_for.append((contract, deal))
            continue
        transfer = transfers.get(contract.pk)
        stored_deliveries = deliveries.get(transfer.pk, []) if transfer else []
        current = _current(contract, transfer, stored_deliveries)
        current_fp = _fingerprint(*current)
        if contract.pk not in claimed:
            claim_for.append((contract, deal))
        if (
            transfer is None
            or not contract.reference.startswith("sipri-")
            or (contract.import_fingerprint and current_fp != contract.import_fingerprint)
        ):
            # Edited by hand since the last import, or an editor's own record: keep the editor's version.
            report.contracts["kept"] += 1
            report.kept_references.append(contract.reference)
            continue
        (c_values, t_values, d_values, reference), outcome = _desired_update(
            deal, contract, transfer, stored_deliveries, current, ctx
        )
        if outcome and deal.reference in ctx.plan.newly_matched:
            report.merge.per_year[outcome] += 1
        fingerprint = _fingerprint(c_values, t_values, d_values)
        if current_fp == fingerprint and reference == contract.reference:
            report.contracts["unchanged"] += 1
            report.transfers["unchanged"] += 1
            continue
        changed.append((contract.pk, c_values, t_values, d_values, reference, fingerprint, current))
        contract.reference = reference  # as its claim below names it

    # The deals that change, as model instances now (read in the same transaction).
    contracts, transfers, deliveries = _stored([pk for pk, *_ in changed], records=True)
    for pk, c_values, t_values, d_values, reference, fingerprint, current in changed:
        contract = contracts[pk]
        transfer = transfers[pk]
        report.transfers["unchanged"] += t_values == current[1]
        c_changed = [name for name, value in c_values.items() if getattr(contract, name) != value]
        if reference != contract.reference:
            c_changed.append("reference")
        for name, value in c_values.items():
            setattr(contract, name, value)
        contract.reference = reference
        contract.import_fingerprint = fingerprint
        updates.contract(contract, c_changed)
        t_changed = [name for name, value in t_values.items() if getattr(transfer, name) != value]
        for name, value in t_values.items():
            setattr(transfer, name, value)
        if current[2] != d_values:
            known = [v["quantity"] for v in d_values if v["quantity"] is not None]
            transfer.cached_delivered_sum = sum(known) if known else None
            _plan_deliveries(transfer, deliveries.get(transfer.pk, []), d_values, updates=updates)
        updates.transfer(transfer, t_changed, deliveries_changed=current[2] != d_values)
        if _REFRESH_CONTRACT.intersection(c_changed) or "system_id" in t_changed:
            updates.refresh.append(transfer.pk)

    # In an order that keeps every intermediate state within the rules the database
    # checks row by row: deliveries lowered or removed, then the transfers' quantities
    # ordered (and flags), then deliveries raised or added.
    bulk_update_rows(Delivery, updates.lowered, _DELIVERY_UPDATE, reason=ctx.reason)
    for transfer, stored, d_values in updates.replaced:
        report.deliveries["deleted"] += len(stored)
        for delivery in stored:
            delivery._change_reason = ctx.reason
            delivery.delete()
        new_deliveries += [(transfer, new_row(Delivery, **values)) for values in d_values]
    bulk_insert(Contract, new_contracts, reason=ctx.reason)
    for reference, contract in zip(new_references, new_contracts, strict=True):
        report.contract_ids[reference] = contract.pk
    for contract, transfer in new_transfers:
        transfer.contract_id = contract.pk
    bulk_insert(Transfer, [t for _, t in new_transfers], reason=ctx.reason)
    for fields, contracts_changed in updates.contracts.items():
        bulk_update_rows(Contract, contracts_changed, [*fields, "import_fingerprint"], reason=ctx.reason)
    for (fields, history), transfers_changed in updates.transfers.items():
        bulk_update_rows(Transfer, transfers_changed, list(fields), reason=ctx.reason, history=history)
    bulk_update_rows(Delivery, updates.raised, _DELIVERY_UPDATE, reason=ctx.reason)
    for transfer, delivery in new_deliveries:
        delivery.transfer_id = transfer.pk
    bulk_insert(Delivery, [d for _, d in new_deliveries], reason=ctx.reason)
    if updates.refresh:
        # A party, date or system changed: bring the register's copies up to date.
        transfer_cache_refresh(transfers=Transfer.objects.filter(pk__in=updates.refresh))
    claims = [
        new_row(
            Claim,
            key=f"{ctx.source.key}-{contract.reference}"[:100],
            source_id=ctx.source.pk,
            contract_id=contract.pk,
            speaker_role="SIPRI Arms Transfers Database",
            attribution=Claim.Attribution.SOURCE,
            stance=Claim.Stance.ASSERTS,
            assertion_field=Claim.AssertionField.QUANTITY_ORDERED if deal.quantity_ordered is not None else "",
            assertion_value=str(deal.quantity_ordered) if deal.quantity_ordered is not None else "",
            summary=_claim_summary(deal),
            stated_date=ctx.source.published_date,
            stated_date_precision="day",
        )
        for contract, deal in claim_for
    ]
    bulk_insert(Claim, claims, reason=ctx.reason)
    report.contracts["created"] += len(new_contracts)
    report.transfers["created"] += len(new_transfers)
    report.contracts["updated"] += updates.contract_count
    report.transfers["updated"] += updates.transfer_count
    report.deliveries["created"] += len(new_deliveries)
    report.deliveries["updated"] += len(updates.lowered) + len(updates.raised)
    report.claims_created += len(claims)


def _batches(deals):
    return [deals[start : start + BATCH_SIZE] for start in range(0, len(deals), BATCH_SIZE)]


def _write_batches(deals, *, ctx, report, progress, own_transactions):
    """Every deal written, a batch per transaction: the deals of stored contracts first, in
    the file's order, on this connection (two updates could trade a reference or a deal id);
    then the new deals. On PostgreSQL, when each batch is a transaction of its own
    (`own_transactions`), a batch of new deals adds its deals' totals to the kept ones
    itself (transfers.totals.maintain.delta_add), and several connections write those
    batches at once (transfers.workers). A new deal's batch touches no stored row and no
    other batch's, so their order does not matter; while one connection's server process
    writes a batch, the next is built in Python (a first import spent half its time in
    each, one waiting for the other). Returns whether other connections wrote."""
    total, done = len(deals), 0

    def advanced(batch):
        nonlocal done
        done += len(batch)
        if progress:
            progress(done, total)

    apart = own_transactions and transaction.get_connection().vendor == "postgresql"
    serial = _batches([deal for deal in deals if not apart or deal.reference in ctx.plan.contract_ids])
    new = _batches([deal for deal in deals if deal.reference not in ctx.plan.contract_ids]) if apart else []
    for batch in serial:
        with transaction.atomic():
            _write_batch(batch, ctx=ctx, report=report)
        advanced(batch)

    adding = bool(new) and maintain.delta_worth(new_transfers=sum(map(len, new)))

    def write_new(batch):
        part = ImportReport(path=report.path, merge=MergeReport(other=report.merge.other) if report.merge else None)
        with transaction.atomic():
            _write_batch(batch, ctx=ctx, report=part)
            if adding:
                # New deals only: their totals are added to the kept ones in the same
                # transaction, instead of leaving their cells to be recomputed.
                maintain.delta_add(
                    selectors.transfer_register_base().filter(contract_id__in=part.contract_ids.values())
                )
        return part

    # One batch has nothing to share: no other connection to open (a small file, the tests).
    spread = len(new) > 1 and workers.possible()
    for batch, part in zip(new, workers.in_threads(write_new, new) if spread else map(write_new, new), strict=True):
        _report_add(report, part)
        advanced(batch)
    return spread


def _reject_one_party_deals(export, actors, report):
    """Refuse, by its line, a row whose supplier and recipient are two spellings of one party
    (`Turkey` and `Turkiye`, `UAE` and `United Arab Emirates`): as any bad row, not by the
    database refusing its whole batch (contract_supplier_not_recipient), which stopped the
    import there on every run."""
    refused = [d for d in export.deals if actors[d.supplier].pk == actors[d.recipient].pk]
    if not refused:
        return
    for deal in refused:
        error = RowError(
            deal.line,
            f"supplier {deal.supplier!r} and recipient {deal.recipient!r} are one party "
            f"({actors[deal.supplier].code}): a state does not supply itself",
        )
        export.errors.append(error)
        report.rejected.append(error)
    export.errors.sort(key=lambda e: e.line)
    report.rejected.sort(key=lambda e: e.line)
    gone = {id(d) for d in refused}
    export.deals = [d for d in export.deals if id(d) not in gone]
    report.deals = len(export.deals)


def _report_add(report, part):
    """A batch's counts and contracts added to the import's report."""
    for name in ("contracts", "transfers", "deliveries"):
        counts = getattr(report, name)
        for key, count in getattr(part, name).items():
            counts[key] += count
    report.claims_created += part.claims_created
    report.contract_ids.update(part.contract_ids)
    report.kept_references += part.kept_references
    if part.merge is not None:
        report.merge.per_year.update(part.merge.per_year)


# Contract fields copied onto the register's rows, or that what they keep depends on (the
# order's precision: whether a delivery is before it), transfers.cache.
_REFRESH_CONTRACT = {"kind", "supplier_id", "recipient_id", "order_date", "order_date_precision"}
_DELIVERY_UPDATE = ["quantity", "quantity_is_estimate", "date_is_estimate", "tiv"]


@dataclass
class _Updates:
    """The changes of one batch to existing records, grouped by the fields they change."""

    contracts: dict = field(default_factory=dict)
    transfers: dict = field(default_factory=dict)
    contract_count: int = 0
    transfer_count: int = 0
    lowered: list = field(default_factory=list)
    raised: list = field(default_factory=list)
    replaced: list = field(default_factory=list)
    refresh: list = field(default_factory=list)

    def contract(self, contract, changed):
        self.contract_count += 1
        self.contracts.setdefault(tuple(changed), []).append(contract)

    def transfer(self, transfer, changed, *, deliveries_changed):
        self.transfer_count += bool(changed)
        fields = [*changed, "cached_delivered_sum"] if deliveries_changed else changed
        if fields:
            # A change of the cached total alone is no change of the record: no history entry.
            self.transfers.setdefault((tuple(fields), bool(changed)), []).append(transfer)


def _plan_deliveries(transfer, stored, d_values, *, updates):
    """Same years: update the changed deliveries in place (those whose number goes down
    first). Other years: replace them all."""
    if [(d.line, d.date, d.date_precision) for d in stored] != [
        (v["line"], v["date"], v["date_precision"]) for v in d_values
    ]:
        updates.replaced.append((transfer, stored, d_values))
        return
    for delivery, values in zip(stored, d_values, strict=True):
        if all(getattr(delivery, name) == values[name] for name in DELIVERY_FIELDS):
            continue
        old, new = delivery.quantity, values["quantity"]
        for name in _DELIVERY_UPDATE:
            setattr(delivery, name, values[name])
        (updates.lowered if new is None or (old is not None and new <= old) else updates.raised).append(delivery)


@collector_paused()
def sipri_import(
    *,
    path,
    strict: bool = False,
    dry_run: bool = False,
    source_title: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    user: str | None = None,
    again: bool = False,
    older: bool = False,
):
    """Import a SIPRI export and record it as a release (transfers.sipri.releases). A file whose
    sha256 is already recorded is not imported again: the report says so
    (already_recorded), unless `again` (to repair what an older importer wrote): then it is
    imported as any file and its release stays as recorded. An export older than a release
    of its format already imported is refused (ImportOutdated), unless `older`: its figures
    would replace the newer ones. Returns an ImportReport; raises ImportFileError,
    ImportOutdated or ImportRejected."""
    started = time.monotonic()
    export = sipri_read(path)
    sha256 = export.sha256
    recorded = release_recorded(sha256=sha256)
    if recorded is not None and not again:
        # Its bad rows are still bad: said again (and refused by --strict), not taken for done.
        report = ImportReport(
            path=str(path),
            format=export.format,
            encoding=export.encoding,
            generated=export.generated,
            rows=export.rows,
            deals=len(export.deals),
            rejected=list(export.errors),
            sha256=sha256,
            release=recorded,
            already_recorded=True,
            dry_run=dry_run,
        )
        if strict and (export.errors or recorded.rejected):
            raise ImportRejected(report)
        return report
    report = ImportReport(
        path=str(path),
        format=export.format,
        encoding=export.encoding,
        generated=export.generated,
        rows=export.rows,
        deals=len(export.deals),
        rejected=list(export.errors),
        rejoined=list(export.rejoined),
        ignored_columns=list(export.ignored_columns),
        flagged=[
            (
                deal.line,
                deal.reference,
                f"Number delivered {deal.quantity_delivered} above Number ordered {deal.quantity_ordered}",
            )
            for deal in export.deals
            if deal.inconsistency == DELIVERED_ABOVE_ORDERED
        ],
        dry_run=dry_run,
        sha256=sha256,
    )
    newer = None if older else release_newer(format=export.format, generated=export.generated)
    if newer is not None:
        raise ImportOutdated(generated=export.generated, newer=newer)
    if strict and export.errors:
        raise ImportRejected(report)
    reason = f"SIPRI import of {export.format} export ({export.generated or 'undated'})"
    legacy = export.format != BY_DELIVERY_YEAR
    export_year = export.generated.year if export.generated else None

    outer_atomic = dry_run or strict
    outer = transaction.atomic() if outer_atomic else _NoTransaction()
    # The yearly totals: refreshed once at the end, not after each batch.
    with refresh_deferred(), outer:
        names = {d.supplier for d in export.deals} | {d.recipient for d in export.deals}
        actors = actor_resolve_sipri_parties(names=names, reason=reason, created=report.actors_created)
        _reject_one_party_deals(export, actors, report)
        if strict and report.rejected:
            raise ImportRejected(report)
        # Which deal of the previous release each row is (legacy rows take its reference).
        matched = release_plan(export=export, actors=actors)
        if legacy:
            plan = _plan_legacy(export.deals, actors, report)
        else:
            plan = _plan_by_year(export.deals, actors, export, report)
        # A deal that joins a legacy row keeps that row's system.
        own_system = [d for d in export.deals if d.reference not in plan.onto_legacy]
        systems, report.systems_created = system_resolve_sipri(deals=own_system, reason=reason)
        source = _source_for(export, title=source_title, reason=reason)
        report.source_key = source.key
        ctx = _Context(
            actors=actors,
            systems=systems,
            source=source,
            export_year=export_year,
            legacy=legacy,
            reason=reason,
            plan=plan,
        )
        # Disputed flags are recomputed once, at the end, after ANALYZE: planned on the
        # statistics of nearly empty tables, each batch's recomputation took minutes. They
        # and a large import's yearly totals are recomputed in other connections while the
        # release is recorded here.
        with ExitStack() as alongside:
            with contract_disputed_deferred(alongside=alongside):
                spread = _write_batches(
                    export.deals, ctx=ctx, report=report, progress=progress, own_transactions=not outer_atomic
                )
                written = report.contracts["created"] + report.contracts["updated"]
                if not dry_run and written:
                    tables_analyze(Contract, Transfer, Delivery, Claim, changed=written)
                if spread:
                    alongside.enter_context(refresh_alongside())
            if recorded is not None:
                report.release, report.already_recorded = recorded, True
            else:
                with transaction.atomic():
                    report.release = release_record(
                        export=export,
                        plan=matched,
                        report=report,
                        sha256=sha256,
                        file_name=Path(path).name,
                        user=release_default_user() if user is None else user,
                        source=source,
                        contract_ids=report.contract_ids,
                        reason=reason,
                    )
        if dry_run:
            transaction.set_rollback(True)
    report.seconds = time.monotonic() - started
    if report.release is not None and not dry_run and recorded is None:
        type(report.release).objects.filter(pk=report.release.pk).update(seconds=report.seconds)
    return report


class _NoTransaction:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
