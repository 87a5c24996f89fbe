"""A realistic synthetic register for benchmarks and demos (`generate_demo_data`).

Real actors (every ISO state), skewed supplier, recipient and category
distributions, 1-3 deliveries per transfer, sources and claims, dates 1950-2025.
Everything generated is marked: references, slugs and keys start with "demo-".
Generated rows get no history entries (they are not edits anyone made).
"""

import datetime
import random
import time
from collections.abc import Callable

from django.db import transaction

from .bulk import bulk_insert, new_row, tables_analyze
from .cache import transfer_cache_values
from .countries import actor_load_countries
from .models import Actor, Category, Claim, Contract, Delivery, Source, Transfer, WeaponSystem
from .totals.maintain import refresh_deferred

BATCH = 5000

# Largest exporters first; weights fall off like SIPRI's shares.
TOP_SUPPLIERS = [
    "USA",
    "RUS",
    "FRA",
    "CHN",
    "DEU",
    "ITA",
    "GBR",
    "ESP",
    "ISR",
    "KOR",
    "NLD",
    "UKR",
    "TUR",
    "SWE",
    "CHE",
    "CAN",
    "AUS",
    "BLR",
    "NOR",
    "POL",
    "CZE",
    "BRA",
    "ZAF",
    "JPN",
    "IND",
    "AUT",
    "BEL",
    "FIN",
    "SRB",
    "ARE",
]
CATEGORY_WEIGHTS = {
    Category.AIRCRAFT: 30,
    Category.MISSILES: 20,
    Category.ARMOURED_VEHICLES: 15,
    Category.SENSORS: 9,
    Category.SHIPS: 8,
    Category.ARTILLERY: 7,
    Category.ENGINES: 6,
    Category.AIR_DEFENCE: 3,
    Category.NAVAL_WEAPONS: 1.5,
    Category.OTHER: 0.4,
    Category.SATELLITES: 0.1,
}
DESCRIPTIONS = {
    Category.AIRCRAFT: [
        "fighter aircraft",
        "transport helicopter",
        "trainer aircraft",
        "combat helicopter",
        "transport aircraft",
        "reconnaissance drone",
        "FGA aircraft",
        "light helicopter",
    ],
    Category.MISSILES: [
        "anti-tank missile",
        "surface-to-air missile",
        "anti-ship missile",
        "guided bomb",
        "air-to-surface missile",
        "short-range air-to-air missile",
        "portable surface-to-air missile",
    ],
    Category.ARMOURED_VEHICLES: [
        "tank",
        "armoured personnel carrier",
        "infantry fighting vehicle",
        "armoured reconnaissance vehicle",
        "armoured recovery vehicle",
    ],
    Category.SENSORS: ["air-search radar", "fire-control radar", "anti-submarine sonar", "electro-optical system"],
    Category.SHIPS: ["frigate", "patrol boat", "corvette", "submarine", "landing ship", "minesweeper"],
    Category.ARTILLERY: ["towed gun", "self-propelled gun", "multiple rocket launcher", "mortar"],
    Category.ENGINES: ["turbofan", "diesel engine", "gas turbine", "turboshaft"],
    Category.AIR_DEFENCE: ["mobile surface-to-air missile system", "self-propelled anti-aircraft gun"],
    Category.NAVAL_WEAPONS: ["naval gun", "naval surface-to-air missile system"],
    Category.OTHER: ["air refuel system", "tank turret"],
    Category.SATELLITES: ["reconnaissance satellite"],
}
COMMENTS = [
    "",
    "",
    "",
    "",
    "Second-hand",
    "Aid",
    "Incl for training",
    "Produced under licence",
    "Ex-army",
    "Part of larger deal",
    "Financed by a third country",
    "Delivered via intermediary",
    "Modernized before delivery",
    "Incl spare parts",
    "For navy",
    "For air force",
    "Probably second-hand",
    "Option on further units",
]
LETTERS = "ABCDEFGHJKLMNPRSTVXZ"


def _zipf_weights(n, exponent=1.1):
    return [1 / (rank**exponent) for rank in range(1, n + 1)]


@refresh_deferred()  # the yearly totals: refreshed once, at the end
def demo_data_generate(*, transfers: int, seed: int = 1, progress: Callable[[int, int], None] | None = None):
    """Generate `transfers` synthetic transfers (with contracts, deliveries, sources, claims). Returns counts."""
    started = time.monotonic()
    rng = random.Random(seed)
    actor_load_countries()
    states = list(Actor.objects.filter(kind=Actor.Kind.STATE).order_by("code"))
    by_code = {a.code: a for a in states}
    suppliers = [by_code[c] for c in TOP_SUPPLIERS if c in by_code]
    supplier_weights = _zipf_weights(len(suppliers), 1.2)
    groups = []
    for index in range(12):
        code = f"demo-armed-group-{seed}-{index}"
        actor = Actor.objects.filter(code=code).first() or Actor.objects.create(
            code=code, name=f"Demo armed group {index}", kind=Actor.Kind.NON_STATE
        )
        groups.append(actor)
    recipients = states[:]
    rng.shuffle(recipients)
    recipients += groups
    recipient_weights = _zipf_weights(len(recipients), 0.9)

    categories = list(CATEGORY_WEIGHTS)
    systems = []
    with transaction.atomic():
        for index in range(2000):
            category = rng.choices(categories, weights=list(CATEGORY_WEIGHTS.values()))[0]
            designation = (
                f"{rng.choice(LETTERS)}{rng.choice(LETTERS)}-{rng.randint(1, 999)}{rng.choice(['', 'A', 'M', 'E'])}"
            )
            systems.append(
                new_row(
                    WeaponSystem,
                    slug=f"demo-{seed}-{index}",
                    designation=designation,
                    category=category,
                    description=rng.choice(DESCRIPTIONS[category]),
                    origin_id=rng.choices(suppliers, weights=supplier_weights)[0].pk,
                    other_names=[],
                )
            )
        for system in systems:
            system.other_names = "[]"  # the JSON column, written as JSON text
        bulk_insert(WeaponSystem, systems, reason="demo data", history=False)
        sources = [
            new_row(
                Source,
                key=f"demo-{seed}-source-{index}",
                kind=rng.choice(["news-report", "news-report", "official-statement", "register", "government-report"]),
                title=f"Demo report {index}",
                publisher=rng.choice(["Wire A", "Wire B", "Ministry", "SIPRI", "Agency C"]),
                published_date=datetime.date(rng.randint(1990, 2025), rng.randint(1, 12), rng.randint(1, 28)),
            )
            for index in range(2000)
        ]
        bulk_insert(Source, sources, reason="demo data", history=False)
    system_weights = _zipf_weights(len(systems), 0.8)

    counts = {"contracts": 0, "transfers": 0, "deliveries": 0, "claims": 0}
    made = 0
    contract_index = 0
    while made < transfers:
        contracts, lines, deliveries, claims = [], [], [], []
        with transaction.atomic():
            while made < transfers and len(lines) < BATCH:
                supplier = rng.choices(suppliers, weights=supplier_weights)[0]
                recipient = rng.choices(recipients, weights=recipient_weights)[0]
                if recipient.pk == supplier.pk:
                    continue
                year = min(2025, int(1950 + 76 * rng.random() ** 0.8))
                age = 2025 - year
                status = "completed" if age > 8 else rng.choice(["signed", "delivering", "delivering", "completed"])
                contract = new_row(
                    Contract,
                    reference=f"demo-{seed}-{contract_index}",
                    supplier_id=supplier.pk,
                    recipient_id=recipient.pk,
                    order_date=datetime.date(year, 1, 1),
                    order_date_precision="year",
                    order_date_is_estimate=rng.random() < 0.4,
                    status=status,
                    value_amount=round(rng.lognormvariate(17, 2), 2) if rng.random() < 0.3 else None,
                    value_currency="USD",
                )
                if contract.value_amount is None:
                    contract.value_currency = ""
                contract_index += 1
                contracts.append(contract)
                for line in range(1, 1 + rng.choices([1, 2, 3], weights=[80, 15, 5])[0]):
                    if made >= transfers:
                        break
                    system = rng.choices(systems, weights=system_weights)[0]
                    quantity = max(1, int(rng.lognormvariate(2.5, 1.4)))
                    condition = rng.choices(["new", "second-hand", "second-hand-modernised"], weights=[75, 22, 3])[0]
                    comment = rng.choice(COMMENTS)
                    transfer = new_row(
                        Transfer,
                        line=line,
                        system_id=system.pk,
                        quantity_ordered=quantity,
                        quantity_ordered_is_estimate=rng.random() < 0.5,
                        condition=condition,
                        licensed_production="licence" in comment,
                        tiv_per_unit=round(rng.lognormvariate(0, 1.5), 3),
                        comments=comment,
                        **transfer_cache_values(contract=contract, category=system.category, cached_delivered_sum=None),
                    )
                    transfer._contract = contract
                    contract.line_count += 1
                    lines.append(transfer)
                    made += 1
                    if status == "signed":
                        continue
                    years = sorted(
                        rng.sample(range(year, min(2025, year + 6) + 1), k=min(rng.randint(1, 3), 2025 - year + 1))
                    )
                    remaining = quantity
                    for number, delivery_year in enumerate(years, start=1):
                        share = remaining if number == len(years) else rng.randint(0, remaining)
                        remaining -= share
                        delivery = new_row(
                            Delivery,
                            line=number,
                            date=datetime.date(delivery_year, 1, 1),
                            date_precision="year",
                            quantity=share,
                            quantity_is_estimate=rng.random() < 0.3,
                        )
                        delivery._transfer = transfer
                        deliveries.append(delivery)
                    transfer.cached_delivered_sum = quantity
                claim = new_row(
                    Claim,
                    key=f"demo-{seed}-claim-{contract_index}",
                    source_id=rng.choice(sources).pk,
                    attribution=rng.choice(["source", "on-record", "anonymous", "spokesperson", "media-report"]),
                    stance=rng.choice(["asserts", "asserts", "confirms", "denies", "comments"]),
                    summary=f"Reported deal {contract.reference}.",
                    stated_date=datetime.date(min(2025, year + rng.randint(0, 3)), rng.randint(1, 12), 1),
                )
                claim._contract = contract
                claims.append(claim)
            bulk_insert(Contract, contracts, reason="demo data", history=False)
            for transfer in lines:
                transfer.contract_id = transfer._contract.pk
            bulk_insert(Transfer, lines, reason="demo data", history=False)
            for delivery in deliveries:
                delivery.transfer_id = delivery._transfer.pk
            bulk_insert(Delivery, deliveries, reason="demo data", history=False)
            for claim in claims:
                claim.contract_id = claim._contract.pk
            bulk_insert(Claim, claims, reason="demo data", history=False)
        counts["contracts"] += len(contracts)
        counts["transfers"] += len(lines)
        counts["deliveries"] += len(deliveries)
        counts["claims"] += len(claims)
        if progress:
            progress(made, transfers)
    tables_analyze(Contract, Transfer, Delivery, Claim)
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts
